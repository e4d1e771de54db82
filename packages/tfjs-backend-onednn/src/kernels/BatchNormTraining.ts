import * as tf from '@tensorflow/tfjs';

import { BatchNormTraining, BatchNormTrainingGrad } from './custom_kernel_names.js';
import { customKernel } from './kernel_utils.js';

// inputs {x, gamma, beta}, attrs {epsilon} -> [y, mean, variance]; statistics
// over every axis but the last, biased variance.
export const batchNormTrainingConfig = customKernel(BatchNormTraining, ({ inputs, backend, attrs, addon }) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const channels = x!.shape[x!.shape.length - 1]!;
  const y = backend.output(x!.shape);
  const mean = backend.output([channels]);
  const variance = backend.output([channels]);
  addon.batchNormTrain(backend.f32(x!), backend.f32(gamma!), backend.f32(beta!), y.values, mean.values,
    variance.values, channels, attrs.epsilon as number);
  return [y.info, mean.info, variance.info];
});

// The whole backward pass in one native call. dys holds the gradients of
// [y, mean, variance]; the engine passes zeros for outputs nobody used.
export const batchNormTrainingGradient: tf.GradConfig = {
  kernelName: BatchNormTraining,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as tf.Tensor[];
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BatchNormTrainingGrad,
      { dy: dy!, x: x!, gamma: gamma!, mean: mean!, variance: variance!, dmean: dmean!, dvariance: dvariance! },
      attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};
