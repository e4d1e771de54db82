import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { Rng, Stream } from '../util/random.js';
import { noiseBatch, randomLabels } from './batches.js';
import type { DiscriminatorBatch, GeneratorBatch } from './gan.js';

/** Where a step's real images come from: the data's seeded batches (RealBatches), or the bench's one random batch. */
export interface RealBatchSource {
  /** The real batch of a (zero-based) batch index, NHWC in the model's pixel range, with its labels when asked. */
  batch(index: number, withLabels: boolean): { images: tf.Tensor4D; labels?: tf.Tensor1D };
  /** Images per class of labelled data: the weights of the fakes' classes under `fakeLabels: "data"`. */
  classCounts?(): readonly number[] | undefined;
}

/** Everything one training step consumes: a batch for each D update, then the G update's. */
export interface StepInputs {
  d: DiscriminatorBatch[];
  g: GeneratorBatch;
}

export type StepInputSettings = Pick<TrainConfig, 'seed' | 'batchSize' | 'latentDim' | 'dSteps' | 'conditional' | 'numClasses'> & Partial<Pick<TrainConfig, 'fakeLabels'>>;

/**
 * The inputs of training step `step` (zero-based), each a pure function of the seed and a
 * counter, so a resumed run sees what an uninterrupted one saw: D update k of the step takes
 * real batch and D noise number step * dSteps + k; the G update takes G noise number `step`.
 * The fake classes of a conditional run come from one stream, the even counters for the D
 * updates' fakes (2 * batch) and the odd ones for the G update's (2 * step + 1), uniform over
 * the classes, or at the data's class frequencies under `fakeLabels: "data"`.
 */
export function stepInputs(config: StepInputSettings, step: number, real: RealBatchSource): StepInputs {
  const { seed, batchSize, latentDim, numClasses } = config;
  const weights = config.fakeLabels === 'data' ? real.classCounts?.() : undefined;
  const fakeLabels = (counter: number) => (numClasses ? randomLabels(seed, counter, batchSize, numClasses, weights) : undefined);
  const d = Array.from({ length: config.dSteps }, (_, k): DiscriminatorBatch => {
    const index = step * config.dSteps + k;
    const { images, labels } = real.batch(index, config.conditional);
    return { real: images, realLabels: labels, z: noiseBatch(seed, Stream.noiseD, index, batchSize, latentDim), fakeLabels: fakeLabels(2 * index), counter: index };
  });
  const g: GeneratorBatch = { z: noiseBatch(seed, Stream.noiseG, step, batchSize, latentDim), fakeLabels: fakeLabels(2 * step + 1), counter: step };
  return { d, g };
}

/** Dispose a step's inputs; `keepReal` keeps the real images and their labels (a source that hands out the same ones each time). */
export function disposeStepInputs({ d, g }: StepInputs, keepReal = false): void {
  const optional = (t?: tf.Tensor) => (t ? [t] : []);
  tf.dispose([
    ...d.flatMap((b) => [...(keepReal ? [] : [b.real, ...optional(b.realLabels)]), b.z, ...optional(b.fakeLabels)]),
    g.z,
    ...optional(g.fakeLabels),
  ]);
}

/**
 * For steps timed without data: a conditional run takes its class count from its data, so
 * without data it gets ten classes unless the config names its own.
 */
export function withAssumedClasses<C extends Pick<TrainConfig, 'conditional' | 'numClasses'>>(config: C): C {
  return config.conditional && config.numClasses === null ? { ...config, numClasses: 10 } : config;
}

/**
 * One batch of uniform noise in the model's pixel range, with random classes for a conditional
 * model, handed out for every index: data for timing steps, whose cost does not depend on the
 * images. Dispose it when done, and its steps' inputs with `keepReal`.
 */
export class RandomRealBatch implements RealBatchSource {
  private readonly images: tf.Tensor4D;
  private readonly labels?: tf.Tensor1D;

  constructor(config: Pick<TrainConfig, 'seed' | 'batchSize' | 'pixelRange' | 'numClasses'>, [height, width, channels]: readonly number[]) {
    const n = config.batchSize;
    const lo = config.pixelRange === '-1,1' ? -1 : 0;
    this.images = tf.tensor4d(new Rng(config.seed, Stream.dataOrder, 0).fillUniform(new Float32Array(n * height * width * channels), lo, 1), [n, height, width, channels]);
    this.labels = config.numClasses ? randomLabels(config.seed, 0, n, config.numClasses) : undefined;
  }

  batch(_index: number, withLabels: boolean): { images: tf.Tensor4D; labels?: tf.Tensor1D } {
    return withLabels && this.labels ? { images: this.images, labels: this.labels } : { images: this.images };
  }

  dispose(): void {
    tf.dispose([this.images, ...(this.labels ? [this.labels] : [])]);
  }
}
