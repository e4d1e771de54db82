import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { ActivationGradSum, Conv2DBiasActivation } from '../kernels/custom_kernel_names.js';
import { activationReference } from './activations.js';

/** The activations conv2dBias and batchNormTraining can apply to their output. */
export type ConvActivation = 'linear' | 'relu' | 'leakyrelu';

export function checkActivation(activation: string): void {
  if (activation !== 'linear' && activation !== 'relu' && activation !== 'leakyrelu') {
    throw new Error(`activation must be 'linear', 'relu' or 'leakyrelu', got '${activation}'`);
  }
}

/**
 * conv2d (NHWC, HWIO filter, no dilation) plus a bias per output channel, then the
 * activation (leaky ReLU with slope `alpha` below zero), in plain ops.
 */
export function conv2dBiasReference(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, strides: number,
  pad: 'same' | 'valid', activation: ConvActivation = 'linear', alpha = 0.2): tf.Tensor4D {
  checkActivation(activation);
  return tf.tidy(() => activationReference(tf.add(tf.conv2d(x, filter, strides, pad), bias) as tf.Tensor4D, activation, alpha));
}

/**
 * Same as conv2dBiasReference. On onednn it is one convolution kernel (the bias and the
 * activation applied inside oneDNN's convolution, so the output is written once) whose
 * registered gradient computes only the gradients the caller needs: TF.js' own
 * tf.fused.conv2d computes the input and filter gradients always, which adds the filter
 * gradients of a discriminator to every generator step, and has no gradient for leaky ReLU.
 */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, strides: number,
  pad: 'same' | 'valid', activation: ConvActivation = 'linear', alpha = 0.2): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') {
    return conv2dBiasReference(x, filter, bias, strides, pad, activation, alpha);
  }
  checkActivation(activation);
  // FusedConv2D's gradient keeps no output; the activated form's keeps y (see below)
  return tf.engine().runKernel(activation === 'linear' ? tf.FusedConv2D : Conv2DBiasActivation, { x, filter, bias }, {
    strides, pad, dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: alpha,
  }) as tf.Tensor4D;
}

type ConvAttrs = { strides: number; pad: 'same' | 'valid'; dilations: number; activation: string; leakyreluAlpha?: number };

/** The three gradients of conv + bias, given the gradient at the convolution's output. */
function convBiasGradients(g: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D, a: ConvAttrs) {
  return {
    x: () => tf.conv2dTranspose(g, filter, x.shape, a.strides, a.pad),
    filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, {
      strides: a.strides, pad: a.pad, dataFormat: 'NHWC', filterShape: filter.shape,
    }) as tf.Tensor,
    bias: () => tf.sum(g, [0, 1, 2]),
  };
}

/** The gradient of a linear FusedConv2D, each input's part computed only when asked for. */
export const fusedConv2DGradient: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    if (a.activation !== 'linear' || a.dilations !== 1) {
      throw new Error(`FusedConv2D: the registered gradient covers a linear activation without dilation, got ${a.activation}`);
    }
    return convBiasGradients(dy as tf.Tensor4D, x, filter, a);
  },
};

/**
 * The gradient of conv + bias + relu or leaky relu. The activation's gradient is taken from
 * the output: y > 0 exactly where the convolution's result is > 0 (relu, and leaky relu's
 * positive slope), so the values before the activation need not be kept.
 */
export const conv2DBiasActivationGradient: tf.GradConfig = {
  kernelName: Conv2DBiasActivation,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    if ((a.activation !== 'relu' && a.activation !== 'leakyrelu') || a.dilations !== 1) {
      throw new Error(`${Conv2DBiasActivation}: the registered gradient covers relu and leakyrelu without dilation, got ${a.activation}`);
    }
    // computed once here, shared by the three gradients, with the bias gradient (g's sum over
    // images and pixels) in the same pass: a discriminator's step needs it, a generator's step
    // does not, and there it costs a few adds in a pass that reads dy anyway
    const [g, dbias] = tf.engine().runKernel(ActivationGradSum, { dy: dy as tf.Tensor, y },
      { alpha: a.activation === 'relu' ? 0 : a.leakyreluAlpha ?? 0.2 }) as [tf.Tensor4D, tf.Tensor];
    return { ...convBiasGradients(g, x, filter, a), bias: () => dbias };
  },
};
