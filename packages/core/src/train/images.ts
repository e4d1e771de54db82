import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import type { ImageShape } from '../data/dataset.js';
import type { Gan } from './gan.js';
import { noiseBatch } from './batches.js';

/** The shape of one image the generator makes. */
export function imageShapeOf(config: TrainConfig): ImageShape {
  const l = config.discriminator.input;
  return { height: l[0], width: l[1], channels: l[2] };
}

/** Map G's output to [0, 1]. */
export function toUnitRange(x: tf.Tensor, config: Pick<TrainConfig, 'pixelRange'>): tf.Tensor {
  return config.pixelRange === '-1,1' ? tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1) : tf.clipByValue(x, 0, 1);
}

const chunk = 256;

/**
 * n images from G in [0, 1], NHWC, from the noise of (seed, stream) in chunks of 256, and
 * the class of image i from `labelOf(i)` when the GAN is conditional. Read back asynchronously,
 * as a GPU backend needs.
 */
export async function generateImages01(gan: Gan, seed: number, stream: number, n: number, labelOf?: (i: number) => number): Promise<Float32Array> {
  const config = gan.config;
  const [h, w, c] = gan.G.outputShape;
  const size = h * w * c;
  const pixels = new Float32Array(n * size);
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const z = noiseBatch(seed, stream, start / chunk, count, config.latentDim);
    const labels = config.conditional ? tf.tensor1d(Int32Array.from({ length: count }, (_, i) => (labelOf ? labelOf(start + i) : 0)), 'int32') : undefined;
    const images = tf.tidy(() => toUnitRange(gan.generate(z, labels), config));
    tf.dispose([z, ...(labels ? [labels] : [])]);
    pixels.set((await images.data()) as Float32Array, start * size);
    images.dispose();
  }
  return pixels;
}

/** Classes in turn (0, 1, ..., K-1, 0, ...): balanced samples from a conditional G. */
export function cyclingLabels(config: Pick<TrainConfig, 'numClasses'>): ((i: number) => number) | undefined {
  const k = config.numClasses;
  return k ? (i: number) => i % k : undefined;
}

/** G's images in [0, 1], NHWC, for given latents `z` [n, latent] (and labels [n] when conditional), in chunks of 256. */
export async function imagesFromLatents01(gan: Gan, z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array> {
  const [h, w, c] = gan.G.outputShape;
  const latent = gan.config.latentDim;
  const size = h * w * c;
  const pixels = new Float32Array(n * size);
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const images = tf.tidy(() => {
      const zt = tf.tensor2d(z.subarray(start * latent, (start + count) * latent), [count, latent]);
      const yt = labels ? tf.tensor1d(labels.subarray(start, start + count), 'int32') : undefined;
      return toUnitRange(gan.generate(zt, yt), gan.config);
    });
    pixels.set((await images.data()) as Float32Array, start * size);
    images.dispose();
  }
  return pixels;
}
