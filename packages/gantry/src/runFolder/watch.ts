import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { RunState } from 'gantry-core/dashboard/wire.js';
import { runFiles, type RunFiles } from './files.js';
import { readLockStatus, type LockStatus } from './lock.js';
import { MetricsTail, type MetricsSink } from './metricsTail.js';
import { deriveState } from './state.js';

/** A small file read again only when its size or time changed. */
class CachedJson {
  private key = '';
  value: unknown = null;
  constructor(readonly path: string) {}
  /** True when the content changed. */
  refresh(): boolean {
    let key = 'missing';
    try {
      const s = statSync(this.path);
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      // missing
    }
    if (key === this.key) return false;
    this.key = key;
    try {
      this.value = key === 'missing' ? null : JSON.parse(readFileSync(this.path, 'utf8'));
    } catch {
      // being replaced, or damaged: show nothing rather than break the page
      this.value = null;
    }
    return true;
  }
}

const sampleName = /^step-(\d+)\.png$/;

/** What changed on disk since the last look. */
export interface RunFolderChanges {
  metrics: boolean;
  samples: boolean;
  /** config.json, a checkpoint pointer or the lock. */
  other: boolean;
}

/**
 * One run folder, read as it is written: metrics through a `MetricsTail` (only appended bytes),
 * the small files (config, checkpoint pointers, lock) again when they change, the sample list
 * when the samples folder changes.
 */
export class RunFolderWatch {
  readonly files: RunFiles;
  readonly metrics: MetricsTail;
  private readonly configFile: CachedJson;
  private readonly latestFile: CachedJson;
  private readonly bestFile: CachedJson;
  private samplesKey = '';
  /** Steps of samples/step-*.png, ascending. */
  sampleSteps: number[] = [];
  /** File names of the grids by step (the width of the step in the name is the trainer's business). */
  private sampleNames = new Map<number, string>();
  lock: LockStatus = { kind: 'none' };
  /** ISO time the folder was made. */
  readonly createdAt: string | null = null;
  /** ISO time metrics.jsonl was last written. */
  metricsWrittenAt: string | null = null;

  constructor(readonly dir: string, sink?: MetricsSink) {
    this.files = runFiles(dir);
    this.metrics = new MetricsTail(this.files.metrics, sink);
    this.configFile = new CachedJson(this.files.config);
    this.latestFile = new CachedJson(this.files.latest);
    this.bestFile = new CachedJson(this.files.best);
    try {
      const s = statSync(dir);
      this.createdAt = new Date(s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs).toISOString();
    } catch {
      // removed while being read
    }
  }

  /** Read what changed on disk. Says which parts changed. */
  async refresh(): Promise<RunFolderChanges> {
    const metrics = await this.metrics.update();
    try {
      this.metricsWrittenAt = statSync(this.files.metrics).mtime.toISOString();
    } catch {
      this.metricsWrittenAt = null;
    }
    const other = [this.configFile.refresh(), this.latestFile.refresh(), this.bestFile.refresh()].some(Boolean);
    const lock = readLockStatus(this.files.lock);
    const lockChanged = JSON.stringify(lock) !== JSON.stringify(this.lock);
    this.lock = lock;
    return { metrics, samples: this.refreshSamples(), other: other || lockChanged };
  }

  private refreshSamples(): boolean {
    let key = 'missing';
    try {
      const s = statSync(this.files.samples);
      key = `${s.ino}:${s.mtimeMs}`;
    } catch {
      // no samples yet
    }
    if (key === this.samplesKey) return false;
    this.samplesKey = key;
    let names: string[] = [];
    try {
      names = readdirSync(this.files.samples);
    } catch {
      // no samples yet
    }
    this.sampleSteps = names
      .map((n) => sampleName.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    this.sampleNames = new Map(names.filter((n) => sampleName.test(n)).map((n) => [Number(sampleName.exec(n)![1]), n]));
    return true;
  }

  /** The grid file of a step in `sampleSteps`. */
  sampleFile(step: number): string | undefined {
    return this.sampleNames.get(step);
  }

  /** config.json as last read ({} while missing or damaged). */
  get config(): Record<string, unknown> {
    const value = this.configFile.value;
    return (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  }

  /** config.json as last read, or null while it is missing or does not parse. */
  get configValue(): unknown {
    return this.configFile.value;
  }

  /** The step of the checkpoint latest.json names. */
  get latestCheckpoint(): number | null {
    return finite((this.latestFile.value as { step?: unknown } | null)?.step);
  }

  /** The checkpoint best.json names. */
  get bestCheckpoint(): { step: number; metric: string | null; value: number | null } | null {
    const best = this.bestFile.value as { step?: unknown; metric?: unknown; value?: unknown } | null;
    const step = finite(best?.step);
    return step === null ? null : { step, metric: typeof best?.metric === 'string' ? best.metric : null, value: finite(best?.value) };
  }

  /** The planned total steps (config.json's `steps`), or null when unknown. */
  get totalSteps(): number | null {
    return finite(this.config.steps);
  }

  /** How the run stands (see `deriveState`). */
  state(): RunState {
    const untilFid = finite(this.config.untilFid);
    const untilKid = finite(this.config.untilKid);
    const m = this.metrics;
    const targetMet = (untilFid !== null && m.lastFid !== null && m.lastFid.value <= untilFid) || (untilKid !== null && m.lastKid !== null && m.lastKid.value <= untilKid);
    return deriveState({ lock: this.lock, totalSteps: this.totalSteps, lastStep: m.lastStep, lastEvent: m.lastEvent, checkpointStep: this.latestCheckpoint, targetMet });
  }
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
