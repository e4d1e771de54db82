import { join } from 'node:path';
import { readMetrics, readRunOnDisk } from '../runFolder/records.js';
import { formatTable } from './status.js';
import { readSweepManifest } from './sweepDirectory.js';

export type LeaderboardFormat = 'table' | 'csv' | 'json';

export interface LeaderboardRow {
  rank: number | null;
  run: string;
  params: Record<string, unknown>;
  /** The run's best value of the metric over its metrics.jsonl; null if never logged. */
  value: number | null;
  atStep: number | null;
  steps: number;
  total: number;
}

export interface Leaderboard {
  sweep: string;
  metric: string;
  order: 'asc' | 'desc';
  rows: LeaderboardRow[];
}

/** The sweep's runs ranked by their best value of `metric` (lowest first for asc); runs without it come last, unranked. */
export function leaderboard(sweepDir: string, metric: string, order: 'asc' | 'desc'): Leaderboard {
  const manifest = readSweepManifest(sweepDir);
  const better = (a: number, b: number) => (order === 'asc' ? a < b : a > b);
  const rows: LeaderboardRow[] = manifest.runs.map(({ name, params }) => {
    const dir = join(sweepDir, name);
    let value: number | null = null;
    let atStep: number | null = null;
    for (const r of readMetrics(dir)) {
      const v = r[metric];
      if (typeof v === 'number' && Number.isFinite(v) && (value === null || better(v, value))) {
        value = v;
        atStep = r.step;
      }
    }
    const disk = readRunOnDisk(dir);
    return { rank: null, run: name, params, value, atStep, steps: disk.step, total: disk.total };
  });
  rows.sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? 0 : 1) : -1;
    return order === 'asc' ? a.value - b.value : b.value - a.value;
  });
  rows.forEach((r, i) => {
    if (r.value !== null) r.rank = i + 1;
  });
  return { sweep: manifest.name, metric, order, rows };
}

export function formatLeaderboard(board: Leaderboard, format: LeaderboardFormat): string {
  if (format === 'json') return JSON.stringify(board, null, 2);
  const keys = [...new Set(board.rows.flatMap((r) => Object.keys(r.params)))];
  const header = ['rank', 'run', ...keys, board.metric, 'at step', 'steps'];
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const rows = board.rows.map((r) => [
    r.rank === null ? '-' : String(r.rank),
    r.run,
    ...keys.map((k) => cell(r.params[k])),
    r.value === null ? '-' : String(Number(r.value.toPrecision(6))),
    r.atStep === null ? '-' : String(r.atStep),
    `${r.steps}/${r.total}`,
  ]);
  if (format === 'csv') return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n');
  return formatTable(header, rows);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
