import * as tf from '@tensorflow/tfjs';
import { nnOps } from '../models/nnOps.js';
import { Rng } from '../util/random.js';

/**
 * DiffAugment (Zhao et al. 2020): random, differentiable transforms applied to every image D
 * sees, real and fake alike, so D cannot memorise a small dataset and G still gets gradients
 * through the transform. Random parameters come from a seeded generator per call.
 */
export type AugmentOp = 'color' | 'translation' | 'cutout';
export const augmentOps: AugmentOp[] = ['color', 'translation', 'cutout'];

/**
 * Applies `ops` in order. With p < 1 (adaptive augmentation), each op is applied to each
 * image with probability p and is the identity for the others; p = 1 is plain DiffAugment.
 */
export function diffAugment(x: tf.Tensor4D, ops: readonly AugmentOp[], rng: Rng, p = 1): tf.Tensor4D {
  if (p <= 0) return x;
  let y = x;
  for (const op of ops) {
    const apply = p >= 1 ? null : Array.from({ length: x.shape[0] }, () => rng.uniform() < p);
    if (op === 'color') y = color(y, rng, apply);
    else if (op === 'translation') y = translation(y, rng, 0.125, apply);
    else y = cutout(y, rng, 0.5, apply);
  }
  return y;
}

/** Which images an op changes: all (null) or those marked true. */
type Selection = boolean[] | null;
const selected = (apply: Selection, n: number) => apply === null || apply[n] === true;

/** Brightness, saturation and contrast, each with a random factor per image. */
function color(x: tf.Tensor4D, rng: Rng, apply: Selection): tf.Tensor4D {
  const [b] = x.shape;
  // unselected images get the identity factor (shift 0, scale 1)
  const per = (lo: number, hi: number) => {
    const v = rng.fillUniform(new Float32Array(b), lo, hi);
    const identity = lo < 0 ? 0 : 1;
    for (let n = 0; n < b; n++) if (!selected(apply, n)) v[n] = identity;
    return tf.tensor4d(v, [b, 1, 1, 1]);
  };
  let y = tf.add(x, per(-0.5, 0.5));
  const channelMean = tf.mean(y, 3, true);
  y = tf.add(tf.mul(tf.sub(y, channelMean), per(0, 2)), channelMean);
  const imageMean = tf.mean(y, [1, 2, 3], true);
  y = tf.add(tf.mul(tf.sub(y, imageMean), per(0.5, 1.5)), imageMean);
  return y as tf.Tensor4D;
}

/** Shift each image by up to `ratio` of its size, filling with zeros (one native pass on onednn). */
function translation(x: tf.Tensor4D, rng: Rng, ratio: number, apply: Selection): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const sh = Math.round(h * ratio);
  const sw = Math.round(w * ratio);
  const shifts = new Int32Array(2 * b);
  for (let n = 0; n < b; n++) {
    if (!selected(apply, n)) continue;
    shifts[2 * n] = rng.below(2 * sh + 1) - sh;
    shifts[2 * n + 1] = rng.below(2 * sw + 1) - sw;
  }
  return nnOps().translate(x, shifts);
}

/** Zero out one square of `ratio` of the size at a random place in each image (one native pass on onednn). */
function cutout(x: tf.Tensor4D, rng: Rng, ratio: number, apply: Selection): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const ch = Math.round(h * ratio);
  const cw = Math.round(w * ratio);
  // top, bottom, left, right per image; unselected images keep an empty box
  const boxes = new Int32Array(4 * b);
  for (let n = 0; n < b; n++) {
    if (!selected(apply, n)) continue;
    const cy = rng.below(h + (1 - (ch % 2))) - Math.floor(ch / 2);
    const cx = rng.below(w + (1 - (cw % 2))) - Math.floor(cw / 2);
    boxes.set([cy, cy + ch, cx, cx + cw], 4 * n);
  }
  return nnOps().cutout(x, boxes);
}

/**
 * ADA's controller (Karras et al. 2020): the augmentation probability p follows an
 * overfitting signal, r_t = E[sign(D(real))], averaged over `interval` steps. When D is too
 * sure of the real images (r_t above the target) p rises, otherwise it falls, by
 * batch * interval / speedImages per adjustment, so p can go from 0 to 1 in speedImages images.
 */
export interface AdaSettings {
  target: number;
  interval: number;
  speedImages: number;
  initialP: number;
}

export interface AdaState {
  p: number;
  /** Sum of r_t over the steps of the current interval, and their number. */
  signalSum: number;
  signalSteps: number;
}

/** The state after one more D step that measured r_t = `signal` on a batch of `batch` images. */
export function adaObserve(s: AdaState, settings: AdaSettings, signal: number, batch: number): AdaState {
  const sum = s.signalSum + signal;
  const steps = s.signalSteps + 1;
  if (steps < settings.interval) return { p: s.p, signalSum: sum, signalSteps: steps };
  const rt = sum / steps;
  const delta = Math.sign(rt - settings.target) * (batch * steps) / settings.speedImages;
  return { p: Math.min(1, Math.max(0, s.p + delta)), signalSum: 0, signalSteps: 0 };
}
