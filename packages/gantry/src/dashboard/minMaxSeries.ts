/**
 * One metric over steps, kept in bounded memory however long the run: the points fall into at
 * most `capacity` buckets of `width` consecutive points each, and each bucket remembers its
 * first point, its minimum, its maximum, its last point and the sum of its values. When the
 * buckets run out, pairs are merged and the width doubles. A chart drawn from the minima and
 * maxima shows every spike and every dip, which is what a loss curve is read for; the means are
 * what a smoothed line must average (the midpoint of a min and a max is not the mean of the
 * points between them). Short series (fewer points than buckets) are kept exactly.
 */
export class MinMaxSeries {
  /** Points pushed so far. */
  count = 0;
  private width = 1;
  private used = 0;
  // allocated small and doubled up to `capacity`, so a short run's series stay small
  private fill: Uint32Array;
  private minX: Float64Array;
  private minY: Float64Array;
  private maxX: Float64Array;
  private maxY: Float64Array;
  private lastX: Float64Array;
  private lastY: Float64Array;
  private sumY: Float64Array;

  constructor(readonly capacity = 4096) {
    if (capacity < 2 || capacity % 2 !== 0) throw new Error(`capacity must be an even number of at least 2, got ${capacity}`);
    const n = Math.min(capacity, 64);
    this.fill = new Uint32Array(n);
    this.minX = new Float64Array(n);
    this.minY = new Float64Array(n);
    this.maxX = new Float64Array(n);
    this.maxY = new Float64Array(n);
    this.lastX = new Float64Array(n);
    this.lastY = new Float64Array(n);
    this.sumY = new Float64Array(n);
  }

  /** Bytes held, whatever the number of points. */
  get bytes(): number {
    return this.fill.length * (4 + 7 * 8);
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.fill.length * 2);
    const widen = <T extends Uint32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.fill = widen(this.fill);
    this.minX = widen(this.minX);
    this.minY = widen(this.minY);
    this.maxX = widen(this.maxX);
    this.maxY = widen(this.maxY);
    this.lastX = widen(this.lastX);
    this.lastY = widen(this.lastY);
    this.sumY = widen(this.sumY);
  }

  /** The newest point, or null before the first. */
  get last(): { x: number; y: number } | null {
    return this.used === 0 ? null : { x: this.lastX[this.used - 1], y: this.lastY[this.used - 1] };
  }

  push(x: number, y: number): void {
    if (!Number.isFinite(y) || !Number.isFinite(x)) return;
    this.count += 1;
    let b = this.used - 1;
    if (b < 0 || this.fill[b] >= this.width) {
      if (this.used === this.capacity) this.halve();
      else if (this.used === this.fill.length) this.grow();
      b = this.used++;
      this.fill[b] = 1;
      this.minX[b] = this.maxX[b] = this.lastX[b] = x;
      this.minY[b] = this.maxY[b] = this.lastY[b] = this.sumY[b] = y;
      return;
    }
    this.fill[b] += 1;
    this.sumY[b] += y;
    if (y < this.minY[b]) {
      this.minY[b] = y;
      this.minX[b] = x;
    }
    if (y > this.maxY[b]) {
      this.maxY[b] = y;
      this.maxX[b] = x;
    }
    this.lastX[b] = x;
    this.lastY[b] = y;
  }

  /**
   * The series as at most about `target` points (x ascending in push order): for each group of
   * buckets its minimum and maximum, in the order they occurred, and the very last point, so the
   * newest value is always exact. When points were merged, `mean` gives for each point the mean of
   * every value in its group (the last point: of the last group), which is what a smoothed line
   * should average; it is absent when every point is a value as logged.
   */
  points(target = 2000): { x: number[]; y: number[]; mean?: number[] } {
    const x: number[] = [];
    const y: number[] = [];
    const mean: number[] = [];
    let merged = false;
    let groupMean = 0;
    const emit = (px: number, py: number) => {
      if (x.length > 0 && x[x.length - 1] === px && y[y.length - 1] === py) return;
      x.push(px);
      y.push(py);
      mean.push(groupMean);
    };
    const group = Math.max(1, Math.ceil((2 * this.used) / Math.max(2, target)));
    for (let start = 0; start < this.used; start += group) {
      const end = Math.min(this.used, start + group);
      let lo = start;
      let hi = start;
      let n = 0;
      let sum = 0;
      for (let b = start; b < end; b++) {
        n += this.fill[b];
        sum += this.sumY[b];
        if (this.minY[b] < this.minY[lo]) lo = b;
        if (this.maxY[b] > this.maxY[hi]) hi = b;
      }
      groupMean = sum / n;
      if (n === 1) {
        emit(this.lastX[start], this.lastY[start]);
        continue;
      }
      merged = true;
      const a = { x: this.minX[lo], y: this.minY[lo] };
      const c = { x: this.maxX[hi], y: this.maxY[hi] };
      const [first, second] = order(lo, a, hi, c, this.minX[lo] <= this.maxX[hi]);
      emit(first.x, first.y);
      emit(second.x, second.y);
    }
    if (this.used > 0) emit(this.lastX[this.used - 1], this.lastY[this.used - 1]);
    return merged ? { x, y, mean } : { x, y };
  }

  /** Merge neighbouring buckets pairwise: half the buckets, twice the width. */
  private halve(): void {
    const half = this.used / 2;
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      const b = a + 1;
      const minFromB = this.minY[b] < this.minY[a];
      const maxFromB = this.maxY[b] > this.maxY[a];
      this.fill[i] = this.fill[a] + this.fill[b];
      this.minX[i] = minFromB ? this.minX[b] : this.minX[a];
      this.minY[i] = minFromB ? this.minY[b] : this.minY[a];
      this.maxX[i] = maxFromB ? this.maxX[b] : this.maxX[a];
      this.maxY[i] = maxFromB ? this.maxY[b] : this.maxY[a];
      this.lastX[i] = this.lastX[b];
      this.lastY[i] = this.lastY[b];
      this.sumY[i] = this.sumY[a] + this.sumY[b];
    }
    this.used = half;
    this.width *= 2;
  }
}

/** Min and max of one group in the order they happened (by bucket, then by step within one). */
function order<T>(loBucket: number, lo: T, hiBucket: number, hi: T, loFirstInBucket: boolean): [T, T] {
  if (loBucket !== hiBucket) return loBucket < hiBucket ? [lo, hi] : [hi, lo];
  return loFirstInBucket ? [lo, hi] : [hi, lo];
}
