import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Follows a run's metrics.jsonl while it is written, reading only the bytes appended since
 * the last look (a long run's log is never read whole again). A file that got shorter was
 * rewritten by a resume, and is read again from the start.
 */
export class MetricsFollower {
  step = 0;
  lastFid: number | null = null;
  bestFid: number | null = null;
  private offset = 0;
  private partial = '';

  constructor(readonly path: string) {}

  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.reset();
      if (size === this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      const read = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += read;
      const lines = (this.partial + buffer.subarray(0, read).toString('utf8')).split('\n');
      // the last piece has no newline yet: a line still being appended
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    } finally {
      closeSync(fd);
    }
  }

  private take(line: string): void {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof r.step === 'number') this.step = Math.max(this.step, r.step);
    const fid = r['eval/fid'];
    if (typeof fid === 'number') {
      this.lastFid = fid;
      if (this.bestFid === null || fid < this.bestFid) this.bestFid = fid;
    }
  }

  private reset(): void {
    this.step = 0;
    this.lastFid = null;
    this.bestFid = null;
    this.offset = 0;
    this.partial = '';
  }
}
