import { traceSqrtProduct } from './linalg.js';

/**
 * Fréchet distance between two Gaussians fitted to feature sets (the "FID" formula):
 *   |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2)
 *
 * Gantry computes it on the penultimate features of its own small per-dataset classifier,
 * not on Inception-v3 pool features, so its values are NOT comparable with FID numbers
 * published elsewhere; compare Gantry FIDs with Gantry FIDs on the same dataset only.
 */
export interface FeatureStats {
  /** Feature dimension. */
  d: number;
  /** Number of feature vectors the statistics were computed from. */
  n: number;
  mu: Float64Array;
  /** Row-major d x d covariance (unbiased, divides by n - 1). */
  sigma: Float64Array;
}

/** Mean and covariance of `n` feature vectors of dimension `d` stored row-major. */
export function featureStats(features: ArrayLike<number>, n: number, d: number): FeatureStats {
  if (features.length !== n * d) throw new Error(`featureStats: expected ${n} x ${d} = ${n * d} values, got ${features.length}`);
  if (n < 2) throw new Error('featureStats: need at least 2 feature vectors for a covariance');
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += features[i * d + j]!;
  for (let j = 0; j < d; j++) mu[j] /= n;
  const sigma = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = features[i * d + j]! - mu[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < d; b++) sigma[a * d + b] += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = sigma[a * d + b]! / (n - 1);
      sigma[a * d + b] = v;
      sigma[b * d + a] = v;
    }
  }
  return { d, n, mu, sigma };
}

/** Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2); sigmas are row-major d x d. */
export function frechetDistance(mu1: ArrayLike<number>, sigma1: ArrayLike<number>, mu2: ArrayLike<number>, sigma2: ArrayLike<number>): number {
  const d = mu1.length;
  if (mu2.length !== d || sigma1.length !== d * d || sigma2.length !== d * d) {
    throw new Error(`frechetDistance: shapes disagree (mu ${mu1.length} and ${mu2.length}, sigma ${sigma1.length} and ${sigma2.length})`);
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (mu1[i]! - mu2[i]!) ** 2;
  let traces = 0;
  for (let i = 0; i < d; i++) traces += sigma1[i * d + i]! + sigma2[i * d + i]!;
  const fd = meanTerm + traces - 2 * traceSqrtProduct(sigma1, sigma2, d);
  // exact arithmetic gives fd >= 0; rounding can leave a tiny negative for identical inputs
  return Math.max(fd, 0);
}

/** FID of two feature sets. */
export function frechetDistanceOfFeatures(a: FeatureStats, b: FeatureStats): number {
  return frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
}
