import type { MeanStd } from 'gantry-core/eval/result.js';
import { Rng } from 'gantry-core/util/random.js';

export interface KidOptions {
  /** Number of random subsets the estimate is averaged over (default 20). */
  subsets?: number;
  /** Samples drawn (without replacement) from each set per subset (default min(500, nA, nB)). */
  subsetSize?: number;
  seed?: number;
}

/** Mean and standard deviation over subsets. */
export type { MeanStd };

const KID_STREAM = 0x4b4944; // 'KID'

/**
 * Kernel Inception Distance (Bińkowski et al. 2018) on Gantry's classifier features:
 * the unbiased estimate of MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3,
 * averaged over random subsets. Unbiased means it can be slightly negative for two samples
 * of one distribution. Like Gantry's FID, not comparable with Inception-based KID.
 */
export function kernelInceptionDistance(featsA: ArrayLike<number>, featsB: ArrayLike<number>, d: number, opts: KidOptions = {}): MeanStd {
  const nA = featsA.length / d;
  const nB = featsB.length / d;
  if (!Number.isInteger(nA) || !Number.isInteger(nB)) throw new Error(`kernelInceptionDistance: feature arrays are not multiples of d = ${d}`);
  const m = opts.subsetSize ?? Math.min(500, nA, nB);
  const subsets = opts.subsets ?? 20;
  if (m < 2 || m > nA || m > nB) throw new Error(`kernelInceptionDistance: subset size ${m} needs 2 <= size <= min(${nA}, ${nB})`);
  const rng = new Rng(opts.seed ?? 0, KID_STREAM, 0);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const x = gather(featsA, sampleWithoutReplacement(rng, nA, m), d);
    const y = gather(featsB, sampleWithoutReplacement(rng, nB, m), d);
    values.push(mmd2Unbiased(x, y, m, d));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

function kernel(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let dot = 0;
  for (let k = 0; k < d; k++) dot += a[i * d + k]! * b[j * d + k]!;
  const t = dot / d + 1;
  return t * t * t;
}

/** Unbiased MMD^2 of two equal-size samples: off-diagonal means of Kxx and Kyy, minus 2 mean(Kxy). */
function mmd2Unbiased(x: Float64Array, y: Float64Array, m: number, d: number): number {
  let kxx = 0;
  let kyy = 0;
  let kxy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      kxx += kernel(x, i, x, j, d);
      kyy += kernel(y, i, y, j, d);
    }
    for (let j = 0; j < m; j++) kxy += kernel(x, i, y, j, d);
  }
  // the sums over i < j count each off-diagonal pair once: the full off-diagonal sum is twice that
  return (2 * kxx + 2 * kyy) / (m * (m - 1)) - (2 * kxy) / (m * m);
}

function sampleWithoutReplacement(rng: Rng, n: number, m: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.below(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.subarray(0, m);
}

function gather(src: ArrayLike<number>, rows: Uint32Array, d: number): Float64Array {
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    for (let k = 0; k < d; k++) out[i * d + k] = src[r * d + k]!;
  });
  return out;
}

/**
 * KID's subset size: up to 500, and at most half the generated samples, so that the subsets
 * differ and their spread measures the estimate's noise. (With every sample in every subset,
 * each subset gives the same value and the std is float rounding.) Real subsets are drawn from
 * the whole reference set.
 */
export function kidSubsetSize(generated: number, reference: number): number {
  return Math.max(2, Math.min(500, reference, Math.ceil(generated / 2)));
}
