import type { MetricsSink } from '../runFolder/metricsTail.js';
import { MinMaxSeries } from './minMaxSeries.js';

/**
 * Every numeric key of a run's metrics as a bounded `MinMaxSeries`, fed record by record by the
 * run's `MetricsTail`: what the dashboard's charts are drawn from.
 */
export class MetricSeries implements MetricsSink {
  readonly byKey = new Map<string, MinMaxSeries>();
  // the previous record's series by position: the keys of consecutive records almost always agree
  private keyAt: string[] = [];
  private seriesAt: MinMaxSeries[] = [];

  constructor(private readonly capacity = 4096) {}

  scalars(step: number, keys: readonly string[], values: ArrayLike<number>, count: number): void {
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      if (key === 'step') continue;
      let s = this.keyAt[i] === key ? this.seriesAt[i] : this.byKey.get(key);
      if (!s) {
        s = new MinMaxSeries(this.capacity);
        this.byKey.set(key, s);
      }
      this.keyAt[i] = key;
      this.seriesAt[i] = s;
      s.push(step, values[i]);
    }
  }

  reset(): void {
    this.byKey.clear();
    this.keyAt = [];
    this.seriesAt = [];
  }

  /** The newest value of `key`, or null before the first. */
  last(key: string): number | null {
    return this.byKey.get(key)?.last?.y ?? null;
  }
}
