import * as tf from '@tensorflow/tfjs';

import { allFloat32, nativeKernel } from './kernel_utils.js';

// tf.batchNorm with given statistics. Native when every parameter holds one
// value per channel (last axis) or a single value.
export const fusedBatchNormConfig = nativeKernel(tf.FusedBatchNorm, ({ inputs, backend, attrs, addon }) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !mean || !variance || !allFloat32(x, mean, variance, offset, scale)) return null;
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const perChannel = (t: tf.TensorInfo | undefined) => {
    if (!t) return true;
    const size = tf.util.sizeFromShape(t.shape);
    return size === 1 || (size === channels && t.shape[t.shape.length - 1] === channels);
  };
  if (x.shape.length === 0 || ![mean, variance, offset, scale].every(perChannel)) return null;
  const out = backend.output(x.shape);
  addon.batchNormInfer(backend.f32(x), backend.f32(mean), backend.f32(variance),
    offset ? backend.f32(offset) : null, scale ? backend.f32(scale) : null, out.values, channels,
    (attrs.varianceEpsilon as number | undefined) ?? 0.001);
  return out.info;
});
