import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';

/** conv2d (NHWC, HWIO filter, no dilation) plus a bias per output channel, in plain ops. */
export function conv2dBiasReference(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, strides: number,
  pad: 'same' | 'valid'): tf.Tensor4D {
  return tf.add(tf.conv2d(x, filter, strides, pad), bias) as tf.Tensor4D;
}

/**
 * Same as conv2dBiasReference. On onednn it is one FusedConv2D kernel (the bias added inside
 * oneDNN's convolution) whose registered gradient computes only the gradients the caller
 * needs: TF.js' own tf.fused.conv2d computes the input and filter gradients always, which
 * adds the filter gradients of a discriminator to every generator step.
 */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, strides: number,
  pad: 'same' | 'valid'): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return conv2dBiasReference(x, filter, bias, strides, pad);
  return tf.engine().runKernel(tf.FusedConv2D, { x, filter, bias }, {
    strides, pad, dataFormat: 'NHWC', dilations: 1, activation: 'linear',
  }) as tf.Tensor4D;
}

/** The gradient of a linear FusedConv2D, each input's part computed only when asked for. */
export const fusedConv2DGradient: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as { strides: number; pad: 'same' | 'valid'; dilations: number; activation: string };
    if (a.activation !== 'linear' || a.dilations !== 1) {
      throw new Error(`FusedConv2D: the registered gradient covers a linear activation without dilation, got ${a.activation}`);
    }
    const g = dy as tf.Tensor4D;
    return {
      x: () => tf.conv2dTranspose(g, filter, x.shape, a.strides, a.pad),
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, {
        strides: a.strides, pad: a.pad, dataFormat: 'NHWC', filterShape: filter.shape,
      }) as tf.Tensor,
      bias: () => tf.sum(g, [0, 1, 2]),
    };
  },
};
