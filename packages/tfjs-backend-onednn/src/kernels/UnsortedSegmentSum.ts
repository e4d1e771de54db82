import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

// Row sums by segment id, one pass (the gradient of a gather). The cpu kernel builds a
// mask per segment and is thousands of times slower for embedding gradients.
export const unsortedSegmentSumConfig = nativeKernel(tf.UnsortedSegmentSum, ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  const ids = inputs.segmentIds!;
  if (x.dtype !== 'float32' || ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) return null;
  const numSegments = attrs.numSegments as number;
  const seg = backend.data.get(ids.dataId).values as Int32Array | Float32Array;
  const inner = tf.util.sizeFromShape(x.shape.slice(1));
  const src = backend.f32(x);
  const out = backend.output([numSegments, ...x.shape.slice(1)]);
  const dst = out.values;
  dst.fill(0);
  for (let i = 0; i < seg.length; i++) {
    const s = seg[i]!;
    // out-of-range ids are dropped, as in TensorFlow
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const f = i * inner;
    for (let k = 0; k < inner; k++) dst[o + k] = dst[o + k]! + src[f + k]!;
  }
  return out.info;
});
