import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './atomicFile.js';

/** One line of metrics.jsonl: the step, then slash-separated scalar keys. */
export type MetricsRecord = { step: number; event?: string } & Record<string, number | string | null | undefined>;

/** metrics.jsonl: one JSON object per line, appended as training goes. */
export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricsRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }

  /**
   * Keep only the records that `keep` accepts (used on resume, so the log continues exactly
   * as an uninterrupted run's would). A torn last line from a crash is dropped too.
   */
  retain(keep: (record: MetricsRecord) => boolean): void {
    if (!existsSync(this.path)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as MetricsRecord;
        if (typeof r.step === 'number' && keep(r)) kept.push(line);
      } catch {
        // a partly written line from an interrupted run
      }
    }
    writeFileAtomicSync(this.path, kept.map((l) => l + '\n').join(''));
  }

  static read(path: string): MetricsRecord[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsRecord);
  }
}
