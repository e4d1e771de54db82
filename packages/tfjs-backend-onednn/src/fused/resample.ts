import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { Cutout, SumPool2x, Translate, Upsample2x } from '../kernels/custom_kernel_names.js';

function checkImages(name: string, x: tf.Tensor, even: boolean): void {
  if (x.rank !== 4) throw new Error(`${name}: x must be a batch of NHWC images (rank 4), got shape [${x.shape}]`);
  if (even && (x.shape[1]! % 2 !== 0 || x.shape[2]! % 2 !== 0)) {
    throw new Error(`${name}: height and width must be even, got shape [${x.shape}]`);
  }
}

// The references are reshapes with a broadcasting add and a mean rather than TF.js'
// resizeNearestNeighbor and avgPool, whose gradients have no gradient of their own.

/** Nearest-neighbour 2x upsampling of NHWC images in plain ops (same values as tf.image.resizeNearestNeighbor). */
export function upsample2xReference(x: tf.Tensor4D): tf.Tensor4D {
  checkImages('upsample2x', x, false);
  const [n, h, w, c] = x.shape;
  const blocks = tf.add(tf.reshape(x, [n, h, 1, w, 1, c]), tf.zeros([1, 1, 2, 1, 2, 1]));
  return tf.reshape(blocks, [n, 2 * h, 2 * w, c]);
}

/** 2x2 average pooling, stride 2, of NHWC images in plain ops (same values as tf.avgPool(x, 2, 2, 'valid')). */
export function avgPool2xReference(x: tf.Tensor4D): tf.Tensor4D {
  checkImages('avgPool2x', x, true);
  const [n, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]);
}

/** Each pixel to a 2x2 block: [n, h, w, c] -> [n, 2h, 2w, c]. One native pass each way on onednn. */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return upsample2xReference(x);
  checkImages('upsample2x', x, false);
  return tf.engine().runKernel(Upsample2x, { x }, { scale: 1 }) as tf.Tensor4D;
}

/** The mean of each 2x2 block: [n, h, w, c] -> [n, h/2, w/2, c]. One native pass each way on onednn. */
export function avgPool2x(x: tf.Tensor4D): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return avgPool2xReference(x);
  checkImages('avgPool2x', x, true);
  return tf.engine().runKernel(SumPool2x, { x }, { scale: 0.25 }) as tf.Tensor4D;
}

function checkShifts(x: tf.Tensor, shifts: ArrayLike<number>): void {
  checkImages('translate', x, false);
  if (shifts.length !== 2 * x.shape[0]!) {
    throw new Error(`translate: shifts must hold a (rows, columns) pair per image, ${2 * x.shape[0]!} numbers, got ${shifts.length}`);
  }
  for (let k = 0; k < shifts.length; k++) {
    if (!Number.isInteger(shifts[k])) throw new Error(`translate: shifts must be whole numbers, got ${shifts[k]} at ${k}`);
  }
}

/**
 * Image b shifted by (shifts[2b], shifts[2b + 1]) in plain ops: out[b, i, j] = x[b, i + di,
 * j + dj], zero where that lies outside the image; a slice of the visible part, padded back.
 */
export function translateReference(x: tf.Tensor4D, shifts: ArrayLike<number>): tf.Tensor4D {
  checkShifts(x, shifts);
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => tf.concat(Array.from({ length: n }, (_, b) => {
    const di = shifts[2 * b]!;
    const dj = shifts[2 * b + 1]!;
    const rows = Math.max(0, h - Math.abs(di));
    const cols = Math.max(0, w - Math.abs(dj));
    if (rows === 0 || cols === 0) return tf.zeros([1, h, w, c]);
    const visible = tf.slice(x, [b, Math.max(0, di), Math.max(0, dj), 0], [1, rows, cols, c]);
    return tf.pad(visible, [[0, 0], [Math.max(0, -di), Math.max(0, di)], [Math.max(0, -dj), Math.max(0, dj)], [0, 0]]);
  }), 0) as tf.Tensor4D);
}

/** Each image shifted by its own whole number of rows and columns, zero-filled; one native pass each way on onednn. */
export function translate(x: tf.Tensor4D, shifts: ArrayLike<number>): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return translateReference(x, shifts);
  checkShifts(x, shifts);
  return tf.engine().runKernel(Translate, { x }, { shifts: Array.from(shifts) }) as tf.Tensor4D;
}

function checkBoxes(x: tf.Tensor, boxes: ArrayLike<number>): void {
  checkImages('cutout', x, false);
  if (boxes.length !== 4 * x.shape[0]!) {
    throw new Error(`cutout: boxes must hold (top, bottom, left, right) per image, ${4 * x.shape[0]!} numbers, got ${boxes.length}`);
  }
  for (let k = 0; k < boxes.length; k++) {
    if (!Number.isInteger(boxes[k])) throw new Error(`cutout: boxes must be whole numbers, got ${boxes[k]} at ${k}`);
  }
}

/**
 * Image b times a mask of ones with rows [boxes[4b], boxes[4b + 1]) and columns
 * [boxes[4b + 2], boxes[4b + 3]) zero (clipped to the image; an empty box keeps the image),
 * in plain ops.
 */
export function cutoutReference(x: tf.Tensor4D, boxes: ArrayLike<number>): tf.Tensor4D {
  checkBoxes(x, boxes);
  const [n, h, w] = x.shape;
  const mask = new Float32Array(n * h * w).fill(1);
  for (let b = 0; b < n; b++) {
    const [top, bottom, left, right] = [0, 1, 2, 3].map((k) => boxes[4 * b + k]!);
    for (let i = Math.max(0, top!); i < Math.min(h, bottom!); i++) {
      for (let j = Math.max(0, left!); j < Math.min(w, right!); j++) mask[(b * h + i) * w + j] = 0;
    }
  }
  return tf.tidy(() => tf.mul(x, tf.tensor4d(mask, [n, h, w, 1])));
}

/** Each image with its own box of rows and columns zeroed (DiffAugment's cutout); one native pass each way on onednn. */
export function cutout(x: tf.Tensor4D, boxes: ArrayLike<number>): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return cutoutReference(x, boxes);
  checkBoxes(x, boxes);
  return tf.engine().runKernel(Cutout, { x }, { boxes: Array.from(boxes) }) as tf.Tensor4D;
}
