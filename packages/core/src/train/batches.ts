import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { imageSize } from '../data/dataset.js';
import { bytePixelValues } from '../data/bytePixels.js';
import { permutation, Rng, Stream } from '../util/random.js';

/**
 * Real batches in a seeded order: epoch e visits the images in permutation(seed, e).
 * An epoch has floor(count / batchSize) steps; the images left over at its end are not
 * used in that epoch (every batch has the same size, which batchnorm wants).
 */
export class RealBatches {
  readonly stepsPerEpoch: number;
  private order: Uint32Array | null = null;
  private orderEpoch = -1;
  private counts: number[] | null = null;

  constructor(readonly set: ImageSet, readonly batchSize: number, readonly seed: number, readonly pixelRange: '0,1' | '-1,1') {
    this.stepsPerEpoch = Math.floor(set.count / batchSize);
  }

  /** How many images of each class the set holds, for labelled data (the weights of `fakeLabels: "data"`). */
  classCounts(): readonly number[] | undefined {
    const { labels, numClasses } = this.set;
    if (!labels || !numClasses) return undefined;
    if (!this.counts) {
      this.counts = new Array<number>(numClasses).fill(0);
      for (let i = 0; i < this.set.count; i++) this.counts[labels[i]]++;
    }
    return this.counts;
  }

  /** Epoch of a (zero-based) batch index. */
  epochOf(index: number): number {
    return Math.floor(index / this.stepsPerEpoch);
  }

  /** Step 2: the real batch of a (zero-based) batch index, NHWC in the model's pixel range, with labels when asked. */
  batch(index: number, withLabels = false): { images: tf.Tensor4D; labels?: tf.Tensor1D } {
    const step = index;
    const epoch = this.epochOf(step);
    if (epoch !== this.orderEpoch) {
      this.order = permutation(this.set.count, this.seed, Stream.dataOrder, epoch);
      this.orderEpoch = epoch;
    }
    const order = this.order as Uint32Array;
    const size = imageSize(this.set);
    const start = (step % this.stepsPerEpoch) * this.batchSize;
    const out = new Float32Array(this.batchSize * size);
    const toPm1 = this.pixelRange === '-1,1';
    const bytes = this.set.bytes;
    if (bytes) {
      // decoded sources keep bytes: scale straight into the batch, never a float copy of the set,
      // through the values the float path gives (data/bytePixels.ts: float32 bytes / 255, then * 2 - 1), so a set
      // read as bytes (a page's .gds file) batches bit for bit as the same set read as floats
      const values = bytePixelValues(this.pixelRange);
      for (let b = 0; b < this.batchSize; b++) {
        const from = order[start + b] * size;
        const to = b * size;
        for (let i = 0; i < size; i++) out[to + i] = values[bytes[from + i]];
      }
    } else {
      const src = this.set.pixels01;
      for (let b = 0; b < this.batchSize; b++) {
        const from = order[start + b] * size;
        const to = b * size;
        if (toPm1) for (let i = 0; i < size; i++) out[to + i] = src[from + i] * 2 - 1;
        else out.set(src.subarray(from, from + size), to);
      }
    }
    if (this.set.flip) mirrorHalf(out, this.batchSize, this.set.height, this.set.width, this.set.channels, new Rng(this.seed, Stream.dataFlip, step));
    const images = tf.tensor4d(out, [this.batchSize, this.set.height, this.set.width, this.set.channels]);
    if (!withLabels || !this.set.labels) return { images };
    const labels = new Int32Array(this.batchSize);
    for (let b = 0; b < this.batchSize; b++) labels[b] = this.set.labels[order[start + b]];
    return { images, labels: tf.tensor1d(labels, 'int32') };
  }
}

/** `--flip`: mirrors each image of a batch left-right with probability 1/2, a pure function of (seed, step). */
function mirrorHalf(images: Float32Array, n: number, h: number, w: number, c: number, rng: Rng): void {
  for (let b = 0; b < n; b++) {
    if (rng.below(2) === 0) continue;
    for (let y = 0; y < h; y++) {
      const row = (b * h + y) * w * c;
      for (let x = 0; x < w >> 1; x++) {
        const left = row + x * c;
        const right = row + (w - 1 - x) * c;
        for (let k = 0; k < c; k++) {
          const t = images[left + k];
          images[left + k] = images[right + k];
          images[right + k] = t;
        }
      }
    }
  }
}

/**
 * Classes for fakes, a pure function of (seed, counter): uniform over [0, classes), or, given
 * `weights` (one per class, such as the data's class counts), class k with probability
 * weights[k] / sum(weights), one uniform draw per label.
 */
export function randomLabels(seed: number, counter: number, n: number, classes: number, weights?: readonly number[]): tf.Tensor1D {
  const rng = new Rng(seed, Stream.fakeLabels, counter);
  const labels = new Int32Array(n);
  if (weights) {
    const total = weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < n; i++) {
      let u = rng.uniform() * total;
      let k = 0;
      while (k < classes - 1 && u >= weights[k]) u -= weights[k++];
      labels[i] = k;
    }
  } else {
    for (let i = 0; i < n; i++) labels[i] = rng.below(classes);
  }
  return tf.tensor1d(labels, 'int32');
}

/** z ~ N(0, I) for a step, a pure function of (seed, stream, step): [n, latentDim]. */
export function noiseBatch(seed: number, stream: number, step: number, n: number, latentDim: number): tf.Tensor2D {
  const z = new Rng(seed, stream, step).fillNormal(new Float32Array(n * latentDim));
  return tf.tensor2d(z, [n, latentDim]);
}
