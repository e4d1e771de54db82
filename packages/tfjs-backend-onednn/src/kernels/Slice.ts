import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';
import { copyBox } from './slice_copy.js';

export const sliceConfig = nativeKernel(tf.Slice, ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32') return null;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const out = backend.output(size);
  copyBox(backend.f32(x), x.shape, begin, size, out.values);
  return out.info;
});
