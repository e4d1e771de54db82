import * as tf from '@tensorflow/tfjs';

import { BatchNormTraining, BatchNormTrainingActivation, BatchNormTrainingGrad } from './custom_kernel_names.js';
import { ActivationCode } from './eltwise_ops.js';
import { type KernelArgs, customKernel } from './kernel_utils.js';

/** The activation code of a batchnorm's attrs: 0 none, 1 relu, 3 leaky relu. */
function activationOf(attrs: tf.NamedAttrMap): number {
  const name = (attrs.activation as string | undefined) ?? 'linear';
  if (name !== 'linear' && name !== 'relu' && name !== 'leakyrelu') {
    throw new Error(`batchNormTraining: activation must be 'linear', 'relu' or 'leakyrelu', got '${name}'`);
  }
  return ActivationCode[name]!;
}

// inputs {x, gamma, beta}, attrs {epsilon, activation?, alpha?} -> [y, mean, variance];
// statistics over every axis but the last, biased variance, y activated.
function batchNormTraining({ inputs, backend, attrs, addon }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const channels = x!.shape[x!.shape.length - 1]!;
  const y = backend.output(x!.shape);
  const mean = backend.output([channels]);
  const variance = backend.output([channels]);
  addon.batchNormTrain(backend.f32(x!), backend.f32(gamma!), backend.f32(beta!), y.values, mean.values,
    variance.values, channels, attrs.epsilon as number, activationOf(attrs), (attrs.alpha as number | undefined) ?? 0);
  return [y.info, mean.info, variance.info];
}

export const batchNormTrainingConfig = customKernel(BatchNormTraining, batchNormTraining);

// The same with a relu or leaky relu applied to y, under its own name: its gradient keeps y
// (the activation's gradient reads it), which the plain form's gradient does not need.
export const batchNormTrainingActivationConfig = customKernel(BatchNormTrainingActivation, batchNormTraining);

function backward(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap, y: tf.Tensor | null) {
  const [dy, dmean, dvariance] = dys as tf.Tensor[];
  const [x, gamma, mean, variance] = saved;
  const [dx, dgamma, dbeta] = tf.engine().runKernel(BatchNormTrainingGrad,
    { dy: dy!, x: x!, gamma: gamma!, mean: mean!, variance: variance!, dmean: dmean!, dvariance: dvariance!, ...(y ? { y } : {}) },
    attrs) as tf.Tensor[];
  return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
}

// The whole backward pass in one native call. dys holds the gradients of
// [y, mean, variance]; the engine passes zeros for outputs nobody used.
export const batchNormTrainingGradient: tf.GradConfig = {
  kernelName: BatchNormTraining,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => backward(dys, saved as tf.Tensor[], attrs as unknown as tf.NamedAttrMap, null),
};

// With the activation: dy is the gradient at the activated y, and goes back through the
// activation inside the same native pass (y > 0 exactly where the batchnorm's output is).
export const batchNormTrainingActivationGradient: tf.GradConfig = {
  kernelName: BatchNormTrainingActivation,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, y, mean, variance] = saved as tf.Tensor[];
    return backward(dys, [x!, gamma!, mean!, variance!], attrs as unknown as tf.NamedAttrMap, y!);
  },
};
