import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';

/**
 * DiffAugment (Zhao et al. 2020): random, differentiable transforms applied to every image D
 * sees, real and fake alike, so D cannot memorise a small dataset and G still gets gradients
 * through the transform. Random parameters come from a seeded generator per call.
 */
export type AugmentOp = 'color' | 'translation' | 'cutout';
export const augmentOps: AugmentOp[] = ['color', 'translation', 'cutout'];

export function diffAugment(x: tf.Tensor4D, ops: readonly AugmentOp[], rng: Rng): tf.Tensor4D {
  let y = x;
  for (const op of ops) {
    if (op === 'color') y = color(y, rng);
    else if (op === 'translation') y = translation(y, rng, 0.125);
    else y = cutout(y, rng, 0.5);
  }
  return y;
}

/** Brightness, saturation and contrast, each with a random factor per image. */
function color(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [b] = x.shape;
  const per = (lo: number, hi: number) => tf.tensor4d(rng.fillUniform(new Float32Array(b), lo, hi), [b, 1, 1, 1]);
  let y = tf.add(x, per(-0.5, 0.5));
  const channelMean = tf.mean(y, 3, true);
  y = tf.add(tf.mul(tf.sub(y, channelMean), per(0, 2)), channelMean);
  const imageMean = tf.mean(y, [1, 2, 3], true);
  y = tf.add(tf.mul(tf.sub(y, imageMean), per(0.5, 1.5)), imageMean);
  return y as tf.Tensor4D;
}

/** Shift each image by up to `ratio` of its size, filling with zeros (a gather, so it is differentiable). */
function translation(x: tf.Tensor4D, rng: Rng, ratio: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const sh = Math.round(h * ratio);
  const sw = Math.round(w * ratio);
  const hp = h + 2 * sh;
  const wp = w + 2 * sw;
  const padded = tf.reshape(tf.pad(x, [[0, 0], [sh, sh], [sw, sw], [0, 0]]), [b * hp * wp, c]);
  const index = new Int32Array(b * h * w);
  for (let n = 0; n < b; n++) {
    const dy = rng.below(2 * sh + 1) - sh;
    const dx = rng.below(2 * sw + 1) - sw;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) index[(n * h + i) * w + j] = (n * hp + i + sh + dy) * wp + (j + sw + dx);
    }
  }
  return tf.reshape(tf.gather(padded, tf.tensor1d(index, 'int32')), [b, h, w, c]) as tf.Tensor4D;
}

/** Zero out one square of `ratio` of the size at a random place in each image. */
function cutout(x: tf.Tensor4D, rng: Rng, ratio: number): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const ch = Math.round(h * ratio);
  const cw = Math.round(w * ratio);
  const mask = new Float32Array(b * h * w).fill(1);
  for (let n = 0; n < b; n++) {
    const cy = rng.below(h + (1 - (ch % 2))) - Math.floor(ch / 2);
    const cx = rng.below(w + (1 - (cw % 2))) - Math.floor(cw / 2);
    for (let i = Math.max(0, cy); i < Math.min(h, cy + ch); i++) {
      for (let j = Math.max(0, cx); j < Math.min(w, cx + cw); j++) mask[(n * h + i) * w + j] = 0;
    }
  }
  return tf.mul(x, tf.tensor4d(mask, [b, h, w, 1]));
}
