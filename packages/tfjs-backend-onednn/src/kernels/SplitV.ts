import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';
import { copyBox } from './slice_copy.js';

// The gradient of a concat: one box copy per part.
export const splitVConfig = nativeKernel(tf.SplitV, ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32') return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[] | number, axis);
  const src = backend.f32(x);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const out = backend.output(size);
    copyBox(src, x.shape, begin, size, out.values);
    begin[axis]! += s;
    return out.info;
  });
});
