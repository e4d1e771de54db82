import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';
import { placeBox } from './slice_copy.js';

// Constant padding as a fill and row copies (the cpu kernel maps every element's index;
// DiffAugment's translation pads each image batch on height and width).
export const padV2Config = nativeKernel(tf.PadV2, ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32') return null;
  const paddings = attrs.paddings as [number, number][];
  const value = attrs.constantValue as number;
  const shape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = backend.output(shape);
  out.values.fill(value);
  if (tf.util.sizeFromShape(x.shape) > 0) placeBox(backend.f32(x), shape, paddings.map((p) => p[0]), x.shape, out.values);
  return out.info;
});
