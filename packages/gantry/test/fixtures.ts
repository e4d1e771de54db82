import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig, type TrainConfig, type TrainOverrides } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { Rng } from 'gantry-core/util/random.js';

/** A DCGAN in miniature (batchnorm, transposed conv, conv, leaky ReLU) on 8x8x1 images. */
export const tinyConvNets = {
  latentDim: 8,
  generator: {
    input: [8],
    layers: [
      { kind: 'dense', units: 4 * 4 * 4, bias: false },
      { kind: 'batchNorm' },
      { kind: 'relu' },
      { kind: 'reshape', shape: [4, 4, 4] },
      { kind: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2, padding: 'same' },
      { kind: 'tanh' },
    ],
  },
  discriminator: {
    input: [8, 8, 1],
    layers: [
      { kind: 'conv2d', filters: 4, kernel: 4, stride: 2, padding: 'same' },
      { kind: 'leakyRelu', alpha: 0.2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 1 },
    ],
  },
} as const;

export function tinyConfig(overrides: TrainOverrides = {}): TrainConfig {
  return resolveTrainConfig(JSON.parse(JSON.stringify(tinyConvNets)) as Record<string, unknown>, {
    batchSize: 4, steps: 6, logEvery: 2, sampleEvery: 3, checkpointEvery: 3, sampleCount: 4, backend: 'cpu', ...overrides,
  });
}

/** Random 8x8x1 images in [0, 1] with labels. */
export function tinyImages(count = 20, seed = 7): ImageSet {
  const pixels01 = new Rng(seed, 99, 0).fillUniform(new Float32Array(count * 64), 0, 1);
  const labels = new Int32Array(count).map((_, i) => i % 2);
  return { source: 'test', count, height: 8, width: 8, channels: 1, pixels01, labels, numClasses: 2 };
}

export { tempDir } from './tempDirs.js';

/** Copies of every variable's values, for bit-exact comparisons. */
export function snapshot(vars: { name: string; variable: tf.Variable }[]): Map<string, Float32Array> {
  return new Map(vars.map((v) => [v.name, (v.variable.dataSync() as Float32Array).slice()]));
}

export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y || y.length !== x.length) return Infinity;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}
