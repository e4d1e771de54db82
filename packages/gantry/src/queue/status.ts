import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { runJobId, type RunJobData, type RunProgress } from './jobs.js';
import { readRunOnDisk } from '../runFolder/records.js';
import { readSweepManifest } from './sweepDirectory.js';

export interface RunStatus {
  run: string;
  /** The job's state: waiting, active, delayed (waiting to retry), completed, failed; 'not queued' if no job exists. */
  state: string;
  step: number;
  total: number;
  /** host:pid of the worker training it (active runs only). */
  worker: string | null;
  bestFid: number | null;
  attempts: number;
  lastError: string | null;
}

export interface SweepStatus {
  sweep: string;
  dir: string;
  runs: RunStatus[];
  totals: Record<string, number>;
}

/** The queue's view (state, worker, errors) joined with each run directory's (steps, FID). */
export async function sweepStatus(sweepDir: string, queue: Queue<RunJobData>): Promise<SweepStatus> {
  const manifest = readSweepManifest(sweepDir);
  const runs: RunStatus[] = [];
  for (const { name } of manifest.runs) {
    const job = await queue.getJob(runJobId(manifest.name, name));
    const disk = readRunOnDisk(join(sweepDir, name));
    const state = job ? await job.getState() : 'not queued';
    const progress = (job?.progress ?? null) as RunProgress | null;
    const liveStep = state === 'active' && progress && typeof progress === 'object' ? progress.step : 0;
    runs.push({
      run: name,
      state,
      step: Math.max(disk.step, liveStep),
      total: disk.total,
      worker: state === 'active' ? (job?.processedBy ?? (progress ? `${progress.host}:${progress.pid}` : null)) : null,
      bestFid: disk.bestFid,
      attempts: job?.attemptsMade ?? 0,
      lastError: job?.failedReason || (job?.stacktrace?.length ? job.stacktrace[job.stacktrace.length - 1].split('\n')[0] : null) || null,
    });
  }
  const totals: Record<string, number> = { runs: runs.length };
  for (const r of runs) totals[r.state] = (totals[r.state] ?? 0) + 1;
  return { sweep: manifest.name, dir: sweepDir, runs, totals };
}

export function formatStatus(s: SweepStatus): string {
  const rows = s.runs.map((r) => [
    r.run,
    r.state,
    `${r.step}/${r.total}`,
    r.worker ?? '-',
    r.bestFid === null ? '-' : r.bestFid.toFixed(2),
    r.lastError ?? '',
  ]);
  const table = formatTable(['run', 'state', 'step', 'worker', 'best FID', 'last error'], rows);
  const totals = Object.entries(s.totals).filter(([k]) => k !== 'runs').map(([k, n]) => `${n} ${k}`).join(', ');
  return `${table}\nsweep ${s.sweep}: ${s.totals.runs} run(s): ${totals}`;
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
