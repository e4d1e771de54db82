import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { evaluateSamples, type EvalResult } from '../eval/evaluate.js';
import { loadFeatureNetwork, type FeatureNetwork } from '../eval/featureNetwork.js';
import { Stream } from '../util/random.js';
import { noiseBatch } from './batches.js';
import type { Gan } from './gan.js';
import { imageShapeOf, toUnitRange } from './images.js';

const chunk = 256;

/**
 * Evaluation during training: G's samples from one fixed noise set, scored against the
 * dataset's reference features with the shipped classifier (loaded once per run).
 */
export class TrainingEvaluator {
  private readonly net: FeatureNetwork;

  constructor(private readonly config: TrainConfig) {
    this.net = loadFeatureNetwork(config.data);
  }

  async evaluate(gan: Gan): Promise<EvalResult> {
    const n = this.config.evalSamples;
    const shape = imageShapeOf(this.config);
    const size = shape.height * shape.width * shape.channels;
    const images = new Float32Array(n * size);
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const z = noiseBatch(this.config.seed, Stream.evalNoise, start / chunk, count, this.config.latentDim);
      const x = tf.tidy(() => toUnitRange(gan.generate(z), this.config));
      images.set(x.dataSync() as Float32Array, start * size);
      tf.dispose([z, x]);
    }
    return evaluateSamples(images, n, shape, this.config.data, { featureNetwork: this.net, seed: this.config.seed });
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** The metrics of one evaluation as metrics.jsonl keys. */
export function evalRecord(r: EvalResult): Record<string, number> {
  return {
    'eval/fid': r.fid,
    'eval/kid': r.kid.mean,
    'eval/kid_std': r.kid.std,
    'eval/is': r.is.mean,
    'eval/precision': r.precision,
    'eval/recall': r.recall,
    'eval/classes': r.coverage.classes,
    'eval/class_kl': r.coverage.kl,
    'eval/n': r.n,
  };
}
