import * as tf from '@tensorflow/tfjs';

import { BatchNormTrainingGrad } from './custom_kernel_names.js';
import { customKernel } from './kernel_utils.js';

// inputs {dy, x, gamma, mean, variance, dmean, dvariance, y?}, attrs {epsilon, activation?, alpha?}
// -> [dx, dgamma, dbeta]. With y (an activated batchnorm's output), dy is the gradient at y.
export const batchNormTrainingGradConfig = customKernel(BatchNormTrainingGrad, ({ inputs, backend, attrs, addon }) => {
  const { dy, x, gamma, mean, variance, dmean, dvariance, y } = inputs as Record<string, tf.TensorInfo | undefined>;
  const channels = x!.shape[x!.shape.length - 1]!;
  const dx = backend.output(x!.shape);
  const dgamma = backend.output(gamma!.shape);
  const dbeta = backend.output(gamma!.shape);
  addon.batchNormTrainGrad(backend.f32(dy!), backend.f32(x!), backend.f32(gamma!), backend.f32(mean!),
    backend.f32(variance!), dmean ? backend.f32(dmean) : null, dvariance ? backend.f32(dvariance) : null,
    dx.values, dgamma.values, dbeta.values, channels, attrs.epsilon as number,
    y ? backend.f32(y) : null, (attrs.alpha as number | undefined) ?? 0);
  return [dx.info, dgamma.info, dbeta.info];
});
