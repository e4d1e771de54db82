/**
 * How evenly generated samples spread over the classes, by the classifier's predictions.
 *   classes: how many classes hold at least `minShare` (2%) of the samples (mode coverage);
 *   kl:      KL(histogram || uniform) in nats; 0 when perfectly even, ln(numClasses) when
 *            every sample falls in one class.
 */
export interface ClassCoverage {
  classes: number;
  kl: number;
  /** Fraction of samples per class. */
  histogram: number[];
}

export function classCoverage(predictedClasses: ArrayLike<number>, numClasses: number, minShare = 0.02): ClassCoverage {
  const n = predictedClasses.length;
  if (n === 0) throw new Error('classCoverage: no predictions');
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const c = predictedClasses[i]!;
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new Error(`classCoverage: class ${c} at ${i} is outside 0..${numClasses - 1}`);
    counts[c]! += 1;
  }
  const histogram = Array.from(counts, (c) => c / n);
  const classes = histogram.filter((p) => p >= minShare).length;
  let kl = 0;
  for (const p of histogram) if (p > 0) kl += p * Math.log(p * numClasses);
  return { classes, kl, histogram };
}
