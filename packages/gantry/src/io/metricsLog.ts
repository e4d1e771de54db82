import { readFileSync } from 'node:fs';
import { parseMetrics, type MetricsRecord } from 'gantry-core/run/metricsLog.js';

export type { MetricsRecord };

/** metrics.jsonl of a run directory, read whole (the loop appends through the core's RunMetrics). */
export class MetricsLog {
  static read(path: string): MetricsRecord[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    return parseMetrics(text);
  }
}
