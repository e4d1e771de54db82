import { open, stat } from 'node:fs/promises';
import { flatFields, KeyTable, readFlatRecord } from './flatRecord.js';

/** A record that marks something that happened (`{"step": 40, "event": "diverged", "detail": ...}`). */
export interface MetricsEvent {
  step: number;
  event: string;
  detail?: string;
}

/**
 * What a reader of the tail keeps of each record (the dashboard: a bounded series per key). The
 * arrays are reused from record to record; `reset` says reading starts over from the first line.
 */
export interface MetricsSink {
  scalars(step: number, keys: readonly string[], values: ArrayLike<number>, count: number): void;
  reset(): void;
}

/** Keep this many events of a run; a run that diverges more often than this has told its story. */
const maxEvents = 200;
/** Bytes read per chunk: large enough to parse fast, small enough to keep the server answering. */
const chunkBytes = 4 << 20;

/**
 * metrics.jsonl read as it grows: each `update()` reads only the bytes appended since the last
 * one (from the offset where the last read ended), parses the complete lines, keeps what any
 * reader of a run wants (the last step and event, FID, training time) and hands every record's
 * scalars to the sink, if there is one. A line without its newline yet stays pending until the
 * rest arrives. A line that does not parse (a run killed mid-write, then resumed) is skipped and
 * counted. When the file is replaced or shrinks (a resume or a divergence rollback rewrites it),
 * reading starts over.
 */
export class MetricsTail {
  events: MetricsEvent[] = [];
  /** Complete lines read, parsed or not. */
  lines = 0;
  /** Complete lines that were not a JSON object with a numeric step. */
  badLines = 0;
  /** Bytes after the last newline: a line being written, or torn by a crash. */
  pendingBytes = 0;
  lastStep: number | null = null;
  /** The event of the very last record, or null when that record is not an event. */
  lastEvent: string | null = null;
  lastFid: { step: number; value: number } | null = null;
  bestFid: { step: number; value: number } | null = null;
  /** The last finite `eval/kid` logged. */
  lastKid: { step: number; value: number } | null = null;
  /** Seconds of training, summed over the sessions of a resumed run (time/elapsed_s restarts at 0). */
  private elapsedBefore = 0;
  private elapsedNow = 0;
  /** How many times reading started over because the file was rewritten. */
  generation = 0;

  private offset = 0;
  private inode = -1;
  private pending: Buffer = Buffer.alloc(0);
  private running: Promise<boolean> | null = null;
  private readonly keys = new KeyTable();
  private readonly fields = flatFields();

  constructor(readonly path: string, private readonly sink?: MetricsSink) {}

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
    this.sink?.reset();
    this.events = [];
    this.lines = this.badLines = this.pendingBytes = 0;
    this.lastStep = this.lastEvent = this.lastFid = this.bestFid = this.lastKid = null;
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
    let start = 0;
    if (this.pending.length > 0) {
      // only the line that straddles two reads is copied; the rest is read where it lies
      const end = bytes.indexOf(10);
      const joined = Buffer.concat([this.pending, bytes.subarray(0, end)]);
      if (joined.length > 0) this.line(joined, 0, joined.length);
      start = end + 1;
    }
    while (start <= lastNewline) {
      const end = bytes.indexOf(10, start);
      if (end > start) this.line(bytes, start, end);
      start = end + 1;
    }
    this.pending = Buffer.from(bytes.subarray(lastNewline + 1));
    this.pendingBytes = this.pending.length;
  }

  private line(buf: Buffer, start: number, end: number): void {
    this.lines += 1;
    const f = this.fields;
    if (readFlatRecord(buf, start, end, this.keys, f)) {
      let step = NaN;
      for (let i = 0; i < f.count; i++) {
        if (f.keys[i] === 'step') {
          step = f.values[i];
          break;
        }
      }
      if (!Number.isFinite(step)) {
        this.badLines += 1;
        return;
      }
      this.record(step, f.keys, f.values, f.count);
      return;
    }
    // the reference path, for events (they hold strings) and anything unusual
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(buf.toString('utf8', start, end)) as Record<string, unknown>;
    } catch {
      this.badLines += 1;
      return;
    }
    const step = record?.step;
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      this.badLines += 1;
      return;
    }
    if (typeof record.event === 'string') {
      this.lastEvent = record.event;
      this.events.push({ step, event: record.event, ...(typeof record.detail === 'string' ? { detail: record.detail } : {}) });
      if (this.events.length > maxEvents) this.events.splice(0, this.events.length - maxEvents);
      return;
    }
    const keys: string[] = [];
    const values: number[] = [];
    for (const key in record) {
      const value = record[key];
      if (typeof value === 'number') {
        keys.push(key);
        values.push(value);
      }
    }
    this.record(step, keys, values, keys.length);
  }

  /** A record of scalars at `step`. */
  private record(step: number, keys: string[], values: ArrayLike<number>, count: number): void {
    this.lastEvent = null;
    this.lastStep = step;
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      const value = values[i];
      if (key === 'time/elapsed_s') {
        if (value < this.elapsedNow) this.elapsedBefore += this.elapsedNow;
        this.elapsedNow = value;
      } else if (key === 'eval/fid' && Number.isFinite(value)) {
        this.lastFid = { step, value };
        if (!this.bestFid || value < this.bestFid.value) this.bestFid = { step, value };
      } else if (key === 'eval/kid' && Number.isFinite(value)) {
        this.lastKid = { step, value };
      }
    }
    this.sink?.scalars(step, keys, values, count);
  }
}
