import type { ImageShape } from 'gantry-core/data/dataset.js';
import { UsageError } from 'gantry-core/errors.js';
import { CLASSIFIER_SPLITS } from './classifierSpec.js';
import { classCoverage } from './coverage.js';
import { argmaxRows, loadFeatureNetwork, type FeatureNetwork } from './featureNetwork.js';
import { featureStats, frechetDistance } from './frechet.js';
import { inceptionScore } from './inceptionScore.js';
import { kernelInceptionDistance, kidSubsetSize } from './kid.js';
import type { EvalResult } from 'gantry-core/eval/result.js';
import { precisionRecall } from './precisionRecall.js';
import { referenceFeatures } from './referenceStats.js';

/**
 * Every metric of one set of samples against the real data, in the feature space of
 * Gantry's classifier for that dataset (not Inception: not comparable with published FIDs).
 */
export type { EvalResult };

export interface EvalOptions {
  /** Neighbourhood size of the precision/recall manifolds (default 3). */
  k?: number;
  kidSubsets?: number;
  isSplits?: number;
  seed?: number;
  /** Reuse a loaded feature network (it is not disposed); otherwise one is loaded and disposed. */
  featureNetwork?: FeatureNetwork;
  cacheDir?: string;
  /** The class each sample was generated for (conditional G); adds classAccuracy. */
  requestedClasses?: Int32Array;
}

/** Evaluates n NHWC images in [0, 1] (for example a generator's samples) against `dataset`. */
export async function evaluateSamples(images01: Float32Array, n: number, shape: ImageShape, dataset: string, opts: EvalOptions = {}): Promise<EvalResult> {
  const split = CLASSIFIER_SPLITS[dataset as keyof typeof CLASSIFIER_SPLITS];
  const net = opts.featureNetwork ?? loadFeatureNetwork(dataset);
  try {
    if (!split) throw new UsageError(`no feature network exists for data '${dataset}'`);
    const [h, w, c] = net.inputShape;
    if (shape.height !== h || shape.width !== w || shape.channels !== c) {
      throw new UsageError(`the samples are ${shape.height}x${shape.width}x${shape.channels} but the ${dataset} feature network takes ${h}x${w}x${c} images`);
    }
    if (images01.length !== n * h * w * c) throw new UsageError(`expected ${n} images of ${h}x${w}x${c} values, got ${images01.length} values`);
    const k = opts.k ?? 3;
    if (n < Math.max(k + 2, 10)) throw new UsageError(`evaluation needs at least ${Math.max(k + 2, 10)} samples, got ${n}`);
    const d = net.featureDim;
    const ref = await referenceFeatures(net, split.total - split.heldOut, opts.cacheDir);
    const { features, probs } = await net.featuresAndProbsAsync(images01, n);
    const fake = featureStats(features, n, d);
    const m = Math.min(n, ref.count);
    const real = ref.features.subarray(0, m * d);
    const pr = precisionRecall(real, features, d, k);
    const predicted = argmaxRows(probs, n, net.numClasses);
    const coverage = classCoverage(predicted, net.numClasses);
    const wanted = opts.requestedClasses;
    const classAccuracy = wanted ? Array.from(predicted).filter((c, i) => c === wanted[i]).length / n : undefined;
    const classAccuracyByClass = wanted ? accuracyByClass(predicted, wanted, net.numClasses) : undefined;
    return {
      dataset,
      n,
      referenceCount: ref.count,
      fid: frechetDistance(ref.stats.mu, ref.stats.sigma, fake.mu, fake.sigma),
      kid: kernelInceptionDistance(ref.features, features, d, { subsets: opts.kidSubsets ?? 20, subsetSize: kidSubsetSize(n, ref.count), seed: opts.seed ?? 0 }),
      is: inceptionScore(probs, n, net.numClasses, opts.isSplits ?? 10),
      precision: pr.precision,
      recall: pr.recall,
      coverage: { classes: coverage.classes, kl: coverage.kl, share: coverage.histogram },
      ...(classAccuracy !== undefined ? { classAccuracy, classAccuracyByClass } : {}),
    };
  } finally {
    if (!opts.featureNetwork) net.dispose();
  }
}

/** For each class, the fraction of the samples generated for it that the classifier puts in it (null: none were). */
export function accuracyByClass(predicted: ArrayLike<number>, wanted: ArrayLike<number>, classes: number): (number | null)[] {
  const asked = new Array<number>(classes).fill(0);
  const hit = new Array<number>(classes).fill(0);
  for (let i = 0; i < wanted.length; i++) {
    const k = wanted[i]!;
    if (k < 0 || k >= classes) continue;
    asked[k]++;
    if (predicted[i] === k) hit[k]++;
  }
  return asked.map((m, k) => (m ? hit[k]! / m : null));
}
