/** A mean and its standard deviation over subsets (KID, Inception Score). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** What one evaluation of a generator's samples measured (computed by the Node package's feature networks). */
export interface EvalResult {
  dataset: string;
  /** Number of samples evaluated. */
  n: number;
  /** Number of real images in the reference (FID and KID draw on all; precision/recall use the first min(n, this)). */
  referenceCount: number;
  fid: number;
  kid: MeanStd;
  is: MeanStd;
  precision: number;
  recall: number;
  /**
   * How the samples spread over the classifier's classes: classes holding at least 2% of them, the
   * KL of that histogram from uniform, and the histogram itself (index = class, fractions of n).
   */
  coverage: { classes: number; kl: number; share: number[] };
  /** For samples of requested classes (conditional G): the fraction the classifier assigns to the requested class. */
  classAccuracy?: number;
  /** classAccuracy for each class on its own (index = class); null for a class no sample was generated for. */
  classAccuracyByClass?: (number | null)[];
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
    ...(r.classAccuracy !== undefined ? { 'eval/class_accuracy': r.classAccuracy } : {}),
  };
}
