import type { MeanStd } from './kid.js';

/**
 * Inception Score (Salimans et al. 2016) from Gantry's classifier's softmax outputs:
 * exp(E_x KL(p(y|x) || p(y))), computed on `splits` consecutive chunks, mean and std over
 * them. It ranges from 1 (every sample gets the same class distribution) to the number of
 * classes (confident predictions spread evenly over all classes). It never looks at real
 * data. Not comparable with Inception-v3 based scores.
 */
export function inceptionScore(probs: ArrayLike<number>, n: number, classes: number, splits = 10): MeanStd {
  if (probs.length !== n * classes) throw new Error(`inceptionScore: expected ${n} x ${classes} probabilities, got ${probs.length}`);
  const k = Math.max(1, Math.min(splits, n));
  const scores: number[] = [];
  const eps = 1e-12;
  for (let s = 0; s < k; s++) {
    const start = Math.floor((s * n) / k);
    const end = Math.floor(((s + 1) * n) / k);
    const count = end - start;
    const marginal = new Float64Array(classes);
    for (let i = start; i < end; i++) for (let c = 0; c < classes; c++) marginal[c] += probs[i * classes + c]!;
    for (let c = 0; c < classes; c++) marginal[c] /= count;
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c]!;
        if (p > 0) kl += p * (Math.log(p + eps) - Math.log(marginal[c]! + eps));
      }
    }
    scores.push(Math.exp(kl / count));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, v) => a + (v - mean) ** 2, 0) / scores.length);
  return { mean, std };
}
