import { readText, type RunStore } from './store.js';

/** One line of metrics.jsonl: the step, then slash-separated scalar keys. */
export type MetricsRecord = { step: number; event?: string } & Record<string, number | string | null | undefined>;

export const metricsFile = 'metrics.jsonl';

/** Parses metrics.jsonl, leaving out a torn last line (a crash mid-write) and anything without a step. */
export function parseMetrics(text: string): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as MetricsRecord;
      if (typeof r.step === 'number') out.push(r);
    } catch {
      // a partly written line from an interrupted run
    }
  }
  return out;
}

/** metrics.jsonl in a run's store: one JSON object per line, appended as training goes. */
export class RunMetrics {
  constructor(private readonly store: RunStore) {}

  async append(record: MetricsRecord): Promise<void> {
    await this.store.append(metricsFile, JSON.stringify(record) + '\n');
  }

  async read(): Promise<MetricsRecord[]> {
    return parseMetrics((await readText(this.store, metricsFile)) ?? '');
  }

  /**
   * Keep only the records that `keep` accepts (used on resume, so the log continues exactly as an
   * uninterrupted run's would). A torn last line from a crash is dropped too.
   */
  async retain(keep: (record: MetricsRecord) => boolean): Promise<void> {
    const text = await readText(this.store, metricsFile);
    if (text === null) return;
    const kept = text.split('\n').filter((line) => {
      if (!line) return false;
      try {
        const r = JSON.parse(line) as MetricsRecord;
        return typeof r.step === 'number' && keep(r);
      } catch {
        return false;
      }
    });
    await this.store.write(metricsFile, kept.map((l) => l + '\n').join(''));
  }
}
