// The server's JSON, as the page receives it. The shapes are the server's own
// (packages/gantry/src/dashboard/wire.ts, types only), so the two sides cannot drift apart.
import type { IndexChange, RunDetail, RunState, RunSummary, WireMetrics } from 'gantry-core/dashboard/wire.js';

export type { RunDetail, RunState, RunSummary };

/**
 * One metric, downsampled by the server: steps and values as typed arrays, ready for uPlot. Where
 * the server merged points, `y` holds each group's minimum and maximum and `mean` the group's mean
 * at each of them (what the smoothed line averages).
 */
export interface Series {
  x: Float64Array;
  y: Float64Array;
  mean?: Float64Array;
}

export interface MetricsResponse {
  id: string;
  lines: number;
  generation: number;
  series: Record<string, Series>;
}

/** What the event stream says. */
export type Change = IndexChange;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const fetchRuns = () => getJson<{ root: string; runs: RunSummary[] }>('/api/runs');

export const fetchRun = (id: string) => getJson<RunDetail>(`/api/run?id=${encodeURIComponent(id)}`);

export async function fetchMetrics(id: string, keys?: string[]): Promise<MetricsResponse> {
  // one `key` per metric: a name may hold a comma
  const q = keys ? keys.map((k) => `&key=${encodeURIComponent(k)}`).join('') : '';
  const raw = await getJson<WireMetrics>(
    `/api/metrics?id=${encodeURIComponent(id)}&points=2000${q}`,
  );
  const series: Record<string, Series> = {};
  for (const [key, s] of Object.entries(raw.series)) {
    series[key] = { x: Float64Array.from(s.x), y: Float64Array.from(s.y), ...(s.mean ? { mean: Float64Array.from(s.mean) } : {}) };
  }
  return { ...raw, series };
}

/** A run file's URL under /files/ (each path segment encoded). */
export const fileUrl = (path: string) => `/files/${path.split('/').map(encodeURIComponent).join('/')}`;
