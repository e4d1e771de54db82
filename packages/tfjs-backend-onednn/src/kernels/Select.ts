import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

// where(condition, t, e) with all three the same shape.
export const selectConfig = nativeKernel(tf.Select, ({ inputs, backend, addon }) => {
  const { condition, t, e } = inputs as Record<string, tf.TensorInfo>;
  if (condition!.dtype !== 'bool' || t!.dtype !== 'float32' || e!.dtype !== 'float32') return null;
  if (!tf.util.arraysEqual(condition!.shape, t!.shape) || !tf.util.arraysEqual(t!.shape, e!.shape)) return null;
  const out = backend.output(t!.shape);
  addon.select(backend.u8(condition!), backend.f32(t!), backend.f32(e!), out.values);
  return out.info;
});
