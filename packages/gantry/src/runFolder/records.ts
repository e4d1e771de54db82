import { existsSync, readFileSync } from 'node:fs';
import type { MetricsRecord } from '../io/metricsLog.js';
import { readJsonFile, runFiles } from './files.js';

/** What a run directory says about itself: how far it is and how good it got. */
export interface RunOnDisk {
  /** Step of the latest complete checkpoint (0: none yet). */
  step: number;
  /** Planned total steps, from config.json. */
  total: number;
  bestFid: number | null;
  bestFidStep: number | null;
  lastFid: number | null;
  /** The last logged step in metrics.jsonl. */
  loggedStep: number;
}

/** A run's checkpoint, plan and FIDs, read whole once (the sweep's status and results; see MetricsTail to follow a run). */
export function readRunOnDisk(dir: string): RunOnDisk {
  const latest = readJsonFile(runFiles(dir).latest);
  const records = readMetrics(dir);
  let bestFid: number | null = null;
  let bestFidStep: number | null = null;
  let lastFid: number | null = null;
  let loggedStep = 0;
  for (const r of records) {
    loggedStep = Math.max(loggedStep, r.step);
    const fid = r['eval/fid'];
    if (typeof fid !== 'number') continue;
    lastFid = fid;
    if (bestFid === null || fid < bestFid) {
      bestFid = fid;
      bestFidStep = r.step;
    }
  }
  return { step: typeof latest?.step === 'number' ? latest.step : 0, total: plannedSteps(dir), bestFid, bestFidStep, lastFid, loggedStep };
}

/** The run's total steps from its config.json (0 until an --epochs run has worked it out). */
export function plannedSteps(dir: string): number {
  const steps = readJsonFile(runFiles(dir).config)?.steps;
  return typeof steps === 'number' ? steps : 0;
}

/** metrics.jsonl, tolerating a torn last line of a run being written right now. */
export function readMetrics(dir: string): MetricsRecord[] {
  const path = runFiles(dir).metrics;
  if (!existsSync(path)) return [];
  const out: MetricsRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // the line being appended
    }
  }
  return out;
}
