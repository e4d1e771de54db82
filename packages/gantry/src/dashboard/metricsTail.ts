import { open, stat } from 'node:fs/promises';
import { MinMaxSeries } from './minMaxSeries.js';

/** A record that marks something that happened (`{"step": 40, "event": "diverged", "detail": ...}`). */
export interface MetricsEvent {
  step: number;
  event: string;
  detail?: string;
}

/** Keep this many events of a run; a run that diverges more often than this has told its story. */
const maxEvents = 200;
/** Bytes read per chunk: large enough to parse fast, small enough to keep the server answering. */
const chunkBytes = 4 << 20;

/**
 * metrics.jsonl read as it grows: each `update()` reads only the bytes appended since the last
 * one, parses the complete lines and feeds every numeric key into a bounded `MinMaxSeries`. A
 * line without its newline yet stays pending until the rest arrives. A line that does not parse
 * (a run killed mid-write, then resumed) is skipped and counted. When the file is replaced or
 * shrinks (a resume or a divergence rollback rewrites it), reading starts over.
 */
export class MetricsTail {
  series = new Map<string, MinMaxSeries>();
  events: MetricsEvent[] = [];
  /** Complete lines read, parsed or not. */
  lines = 0;
  /** Complete lines that were not a JSON object with a numeric step. */
  badLines = 0;
  /** Bytes after the last newline: a line being written, or torn by a crash. */
  pendingBytes = 0;
  lastStep: number | null = null;
  /** The last record that was not an event. */
  lastRecord: Record<string, unknown> | null = null;
  /** The very last record, event or not. */
  lastAny: Record<string, unknown> | null = null;
  lastFid: { step: number; value: number } | null = null;
  bestFid: { step: number; value: number } | null = null;
  /** Seconds of training, summed over the sessions of a resumed run (time/elapsed_s restarts at 0). */
  private elapsedBefore = 0;
  private elapsedNow = 0;
  /** How many times reading started over because the file was rewritten. */
  generation = 0;

  private offset = 0;
  private inode = -1;
  private pending: Buffer = Buffer.alloc(0);
  private running: Promise<boolean> | null = null;

  constructor(readonly path: string, private readonly capacity = 4096) {}

  get trainingSeconds(): number {
    return this.elapsedBefore + this.elapsedNow;
  }

  /** Read what was appended; true when anything changed. Calls made while one runs share it. */
  update(): Promise<boolean> {
    if (!this.running) {
      this.running = this.read().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private reset(): void {
    this.series = new Map();
    this.events = [];
    this.lines = this.badLines = this.pendingBytes = 0;
    this.lastStep = this.lastRecord = this.lastAny = this.lastFid = this.bestFid = null;
    this.elapsedBefore = this.elapsedNow = 0;
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    this.generation += 1;
  }

  private async read(): Promise<boolean> {
    let info;
    try {
      info = await stat(this.path);
    } catch {
      if (this.offset === 0 && this.lines === 0) return false;
      this.reset();
      this.inode = -1;
      return true;
    }
    let changed = false;
    if (info.ino !== this.inode || info.size < this.offset) {
      if (this.inode !== -1 || this.offset > 0) {
        this.reset();
        changed = true;
      }
      this.inode = info.ino;
    }
    if (info.size === this.offset) return changed;
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.consume(buffer.subarray(0, bytesRead));
        changed = true;
      }
    } finally {
      await handle.close();
    }
    return changed;
  }

  private consume(bytes: Buffer): void {
    const lastNewline = bytes.lastIndexOf(10);
    if (lastNewline < 0) {
      this.pending = Buffer.concat([this.pending, bytes]);
      this.pendingBytes = this.pending.length;
      return;
    }
    const complete = this.pending.length > 0 ? Buffer.concat([this.pending, bytes.subarray(0, lastNewline)]) : bytes.subarray(0, lastNewline);
    this.pending = Buffer.from(bytes.subarray(lastNewline + 1));
    this.pendingBytes = this.pending.length;
    const text = complete.toString('utf8');
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.line(text.slice(start, end));
      start = end + 1;
    }
  }

  private line(text: string): void {
    this.lines += 1;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.badLines += 1;
      return;
    }
    const step = record?.step;
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      this.badLines += 1;
      return;
    }
    this.lastAny = record;
    if (typeof record.event === 'string') {
      this.events.push({ step, event: record.event, ...(typeof record.detail === 'string' ? { detail: record.detail } : {}) });
      if (this.events.length > maxEvents) this.events.splice(0, this.events.length - maxEvents);
      return;
    }
    this.lastStep = step;
    this.lastRecord = record;
    for (const key in record) {
      if (key === 'step') continue;
      const value = record[key];
      if (typeof value !== 'number') continue;
      let s = this.series.get(key);
      if (!s) {
        s = new MinMaxSeries(this.capacity);
        this.series.set(key, s);
      }
      s.push(step, value);
    }
    const elapsed = record['time/elapsed_s'];
    if (typeof elapsed === 'number') {
      if (elapsed < this.elapsedNow) this.elapsedBefore += this.elapsedNow;
      this.elapsedNow = elapsed;
    }
    const fid = record['eval/fid'];
    if (typeof fid === 'number' && Number.isFinite(fid)) {
      this.lastFid = { step, value: fid };
      if (!this.bestFid || fid < this.bestFid.value) this.bestFid = { step, value: fid };
    }
  }
}
