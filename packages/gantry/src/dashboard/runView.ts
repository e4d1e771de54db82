import { basename } from 'node:path';
import { RunFolderWatch } from '../runFolder/watch.js';
import { MetricSeries } from './metricSeries.js';
import type { RunDetail, RunSummary, WireSeries } from 'gantry-core/dashboard/wire.js';

/**
 * One run as the dashboard shows it: its folder, watched (see `RunFolderWatch`), and its metrics
 * as bounded series, turned into the JSON the page reads.
 */
export class RunView {
  readonly folder: RunFolderWatch;
  readonly series: MetricSeries;

  constructor(readonly id: string, dir: string, seriesCapacity?: number) {
    this.series = new MetricSeries(seriesCapacity);
    this.folder = new RunFolderWatch(dir, this.series);
  }

  summary(): RunSummary {
    const f = this.folder;
    const m = f.metrics;
    const config = f.config;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const state = f.state();
    const totalSteps = f.totalSteps;
    const latestCheckpoint = f.latestCheckpoint;
    const step = m.lastStep ?? latestCheckpoint;
    const msPerStep = this.series.last('perf/ms_per_step');
    const etaSeconds = state === 'running' && totalSteps !== null && step !== null && msPerStep !== null ? ((totalSteps - step) * msPerStep) / 1000 : null;
    const best = f.bestCheckpoint;
    return {
      id: this.id,
      name: basename(f.dir),
      preset: str(config.preset),
      data: str(config.data),
      state,
      step,
      totalSteps,
      etaSeconds: etaSeconds !== null ? Math.max(0, etaSeconds) : null,
      imagesPerSecond: this.series.last('perf/images_per_s'),
      lastFid: m.lastFid,
      bestFid: m.bestFid,
      startedAt: (f.lock.kind !== 'none' ? f.lock.startedAt : null) ?? f.createdAt,
      durationSeconds: m.trainingSeconds,
      updatedAt: f.metricsWrittenAt,
      latestCheckpoint,
      bestCheckpoint: best !== null ? { step: best.step, metric: best.metric ?? 'fid', value: best.value ?? NaN } : null,
      samples: f.sampleSteps.length,
      lines: m.lines,
      tornLines: m.badLines + (m.pendingBytes > 0 && state !== 'running' ? 1 : 0),
      divergences: m.events.filter((e) => e.event === 'diverged').length,
    };
  }

  detail(): RunDetail {
    const f = this.folder;
    return {
      summary: this.summary(),
      config: f.configValue,
      sampleSteps: f.sampleSteps,
      samplePaths: f.sampleSteps.map((s) => `${this.id}/samples/${f.sampleFile(s)}`),
      events: f.metrics.events,
      metricKeys: [...this.series.byKey.keys()].sort(),
    };
  }

  /** Every series as at most about `points` points each (all keys, or the ones named). */
  downsampled(points: number, keys?: string[]): Record<string, WireSeries> {
    const out: Record<string, WireSeries> = {};
    // seven significant digits are more than a chart can show, and halve the payload
    const short = (v: number) => Number(v.toPrecision(7));
    for (const [key, series] of this.series.byKey) {
      if (keys && !keys.includes(key)) continue;
      const { x, y, mean } = series.points(points);
      out[key] = mean ? { x, y: y.map(short), mean: mean.map(short) } : { x, y: y.map(short) };
    }
    return out;
  }
}
