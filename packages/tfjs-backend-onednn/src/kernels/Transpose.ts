import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

export const transposeConfig = nativeKernel(tf.Transpose, ({ inputs, backend, attrs, addon }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32') return null;
  const perm = attrs.perm as number[];
  const out = backend.output(perm.map((p) => x.shape[p]!));
  addon.transpose(backend.f32(x), Int32Array.from(x.shape), Int32Array.from(perm), out.values);
  return out.info;
});
