import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

// Gather along one axis as contiguous row copies (the cpu kernel reads element by element
// through index arithmetic; embedding lookups and DiffAugment's translation use this).
export const gatherV2Config = nativeKernel(tf.GatherV2, ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  const indices = inputs.indices!;
  if (x.dtype !== 'float32' || (attrs.batchDims as number) !== 0) return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
  const idx = backend.data.get(indices.dataId).values as Int32Array | Float32Array;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const rows = x.shape[axis]!;
  const src = backend.f32(x);
  const out = backend.output([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)]);
  const n = idx.length;
  const dst = out.values;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const r = idx[j]!;
      if (r < 0 || r >= rows || r !== Math.floor(r)) throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      const from = (o * rows + r) * inner;
      const to = (o * n + j) * inner;
      // short rows (an image's channels) copy faster element by element than through a subarray
      if (inner < 32) for (let k = 0; k < inner; k++) dst[to + k] = src[from + k]!;
      else dst.set(src.subarray(from, from + inner), to);
    }
  }
  return out.info;
});
