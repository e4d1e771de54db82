import type { TrainConfig } from 'gantry-core/config.js';
import { evaluateSamples, type EvalResult } from '../eval/evaluate.js';
import { loadFeatureNetwork, type FeatureNetwork } from '../eval/featureNetwork.js';
import { Stream } from 'gantry-core/util/random.js';
import type { Gan } from 'gantry-core/train/gan.js';
import { cyclingLabels, generateImages01, imageShapeOf } from 'gantry-core/train/images.js';

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
    const labelOf = cyclingLabels(this.config);
    const images = await generateImages01(gan, this.config.seed, Stream.evalNoise, n, labelOf);
    const requestedClasses = labelOf ? Int32Array.from({ length: n }, (_, i) => labelOf(i)) : undefined;
    return evaluateSamples(images, n, imageShapeOf(this.config), this.config.data, { featureNetwork: this.net, seed: this.config.seed, requestedClasses });
  }

  dispose(): void {
    this.net.dispose();
  }
}
