import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

// Sum of same-shaped tensors: how backprop accumulates gradients.
export const addNConfig = nativeKernel(tf.AddN, ({ inputs, backend, addon }) => {
  const tensors = inputs as unknown as tf.TensorInfo[];
  const first = tensors[0];
  if (!first || !tensors.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, first.shape))) {
    return null;
  }
  const out = backend.output(first.shape);
  addon.addN(tensors.map((t) => backend.f32(t)), out.values);
  return out.info;
});
