import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MetricsTail } from './metricsTail.js';
import { deriveState, readLockStatus, type LockStatus } from './runState.js';
import type { RunDetail, RunSummary, WireSeries } from './wire.js';

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

/**
 * One run folder, read as it is written: metrics through a `MetricsTail`, the small files
 * (config, checkpoint pointers, lock) again when they change, the sample list when the
 * samples folder changes.
 */
export class RunDirectory {
  readonly metrics: MetricsTail;
  private readonly config: CachedJson;
  private readonly latest: CachedJson;
  private readonly best: CachedJson;
  private samplesKey = '';
  sampleSteps: number[] = [];
  /** File names of the grids by step (the width of the step in the name is the trainer's business). */
  private sampleNames = new Map<number, string>();
  private lock: LockStatus = { kind: 'none' };
  private createdAt: string | null = null;
  private metricsMtime: string | null = null;

  constructor(readonly id: string, readonly dir: string) {
    this.metrics = new MetricsTail(join(dir, 'metrics.jsonl'));
    this.config = new CachedJson(join(dir, 'config.json'));
    this.latest = new CachedJson(join(dir, 'checkpoints', 'latest.json'));
    this.best = new CachedJson(join(dir, 'checkpoints', 'best.json'));
    try {
      const s = statSync(dir);
      this.createdAt = new Date(s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs).toISOString();
    } catch {
      // removed while being read
    }
  }

  /** Read what changed on disk. Says which parts changed. */
  async refresh(): Promise<{ metrics: boolean; samples: boolean; other: boolean }> {
    const metrics = await this.metrics.update();
    try {
      this.metricsMtime = statSync(this.metrics.path).mtime.toISOString();
    } catch {
      this.metricsMtime = null;
    }
    const other = [this.config.refresh(), this.latest.refresh(), this.best.refresh()].some(Boolean);
    const lock = readLockStatus(join(this.dir, 'train.lock'));
    const lockChanged = JSON.stringify(lock) !== JSON.stringify(this.lock);
    this.lock = lock;
    return { metrics, samples: this.refreshSamples(), other: other || lockChanged };
  }

  private refreshSamples(): boolean {
    const dir = join(this.dir, 'samples');
    let key = 'missing';
    try {
      const s = statSync(dir);
      key = `${s.ino}:${s.mtimeMs}`;
    } catch {
      // no samples yet
    }
    if (key === this.samplesKey) return false;
    this.samplesKey = key;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
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

  summary(): RunSummary {
    const m = this.metrics;
    const config = (this.config.value ?? {}) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const latest = this.latest.value as { step?: unknown } | null;
    const best = this.best.value as { step?: unknown; metric?: unknown; value?: unknown } | null;
    const totalSteps = num(config.steps);
    const latestCheckpoint = num(latest?.step);
    const untilFid = num(config.untilFid);
    const untilKid = num(config.untilKid);
    const lastKid = m.series.get('eval/kid')?.last ?? null;
    const targetMet =
      (untilFid !== null && m.lastFid !== null && m.lastFid.value <= untilFid) || (untilKid !== null && lastKid !== null && lastKid.y <= untilKid);
    const state = deriveState({
      lock: this.lock,
      totalSteps,
      lastStep: m.lastStep,
      lastEvent: m.lastEvent,
      checkpointStep: latestCheckpoint,
      targetMet,
    });
    const step = m.lastStep ?? latestCheckpoint;
    const msPerStep = m.series.get('perf/ms_per_step')?.last?.y ?? null;
    const etaSeconds = state === 'running' && totalSteps !== null && step !== null && msPerStep !== null ? ((totalSteps - step) * msPerStep) / 1000 : null;
    const bestStep = num(best?.step);
    return {
      id: this.id,
      name: basename(this.dir),
      preset: str(config.preset),
      data: str(config.data),
      state,
      step,
      totalSteps,
      etaSeconds: etaSeconds !== null ? Math.max(0, etaSeconds) : null,
      imagesPerSecond: m.series.get('perf/images_per_s')?.last?.y ?? null,
      lastFid: m.lastFid,
      bestFid: m.bestFid,
      startedAt: (this.lock.kind !== 'none' ? this.lock.startedAt : null) ?? this.createdAt,
      durationSeconds: m.trainingSeconds,
      updatedAt: this.metricsMtime,
      latestCheckpoint,
      bestCheckpoint: bestStep !== null ? { step: bestStep, metric: str(best?.metric) ?? 'fid', value: num(best?.value) ?? NaN } : null,
      samples: this.sampleSteps.length,
      lines: m.lines,
      tornLines: m.badLines + (m.pendingBytes > 0 && state !== 'running' ? 1 : 0),
      divergences: m.events.filter((e) => e.event === 'diverged').length,
    };
  }

  detail(): RunDetail {
    return {
      summary: this.summary(),
      config: this.config.value,
      sampleSteps: this.sampleSteps,
      samplePaths: this.sampleSteps.map((s) => `${this.id}/samples/${this.sampleNames.get(s)}`),
      events: this.metrics.events,
      metricKeys: [...this.metrics.series.keys()].sort(),
    };
  }

  /** Every series as at most about `points` points each (all keys, or the ones named). */
  downsampled(points: number, keys?: string[]): Record<string, WireSeries> {
    const out: Record<string, WireSeries> = {};
    // seven significant digits are more than a chart can show, and halve the payload
    const short = (v: number) => Number(v.toPrecision(7));
    for (const [key, series] of this.metrics.series) {
      if (keys && !keys.includes(key)) continue;
      const { x, y, mean } = series.points(points);
      out[key] = mean ? { x, y: y.map(short), mean: mean.map(short) } : { x, y: y.map(short) };
    }
    return out;
  }
}
