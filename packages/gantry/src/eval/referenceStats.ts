import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gantryCacheDir } from '../data/embedded.js';
import { loadDataset } from '../data/load.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { readNpy, writeNpyFloat32 } from '../io/npy.js';
import { featureStats, type FeatureStats } from './frechet.js';
import type { FeatureNetwork } from './featureNetwork.js';

/** At most this many real images make the reference (the first ones, class-balanced). */
export const MAX_REFERENCE_IMAGES = 10000;

/** The real data in feature space: every reference feature vector, and their mean and covariance. */
export interface ReferenceFeatures {
  dataset: string;
  count: number;
  features: Float32Array; // [count, d]
  stats: FeatureStats;
}

/**
 * Features of the real images of an embedded dataset, cached in the gantry cache dir and
 * recomputed when missing or when the feature network's weights change. The reference is
 * the classifier's training split (capped at MAX_REFERENCE_IMAGES), so the held-out split
 * stays an independent real sample for checking the metrics.
 */
export async function referenceFeatures(net: FeatureNetwork, trainCount: number, cacheDir = gantryCacheDir()): Promise<ReferenceFeatures> {
  const count = Math.min(trainCount, MAX_REFERENCE_IMAGES);
  const base = join(cacheDir, 'eval', `${net.dataset}-reference-${net.digest}-n${count}`);
  const d = net.featureDim;
  if (existsSync(`${base}.npy`) && existsSync(`${base}.json`)) {
    try {
      const arr = await readNpy(`${base}.npy`);
      const json = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { mu: number[]; sigma: number[] };
      if (arr.dtype === 'float32' && arr.shape[0] === count && arr.shape[1] === d && json.mu.length === d && json.sigma.length === d * d) {
        const stats: FeatureStats = { d, n: count, mu: Float64Array.from(json.mu), sigma: Float64Array.from(json.sigma) };
        return { dataset: net.dataset, count, features: arr.data as Float32Array, stats };
      }
    } catch {
      // a damaged cache is rebuilt below
    }
  }
  const data = await loadDataset(net.dataset, { limit: count });
  const { features } = await net.featuresAndProbsAsync(data.pixels01, count);
  const stats = featureStats(features, count, d);
  try {
    await writeNpyFloat32(`${base}.npy`, features, [count, d]);
    await writeFileAtomic(`${base}.json`, [Buffer.from(JSON.stringify({ dataset: net.dataset, count, mu: Array.from(stats.mu), sigma: Array.from(stats.sigma) }))]);
  } catch {
    // an unwritable cache only costs time on the next evaluation
  }
  return { dataset: net.dataset, count, features, stats };
}
