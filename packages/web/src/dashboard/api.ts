// The server's JSON, as the page receives it (packages/gantry/src/dashboard/runDirectory.ts is the
// other side; the browser cannot import it, so the shapes are written down again here).

export type RunState = 'running' | 'finished' | 'stopped' | 'diverged' | 'crashed';

export interface RunSummary {
  id: string;
  name: string;
  preset: string | null;
  data: string | null;
  state: RunState;
  step: number | null;
  totalSteps: number | null;
  etaSeconds: number | null;
  imagesPerSecond: number | null;
  lastFid: { step: number; value: number } | null;
  bestFid: { step: number; value: number } | null;
  startedAt: string | null;
  durationSeconds: number;
  updatedAt: string | null;
  latestCheckpoint: number | null;
  bestCheckpoint: { step: number; metric: string; value: number } | null;
  samples: number;
  lines: number;
  tornLines: number;
  divergences: number;
}

export interface RunDetail {
  summary: RunSummary;
  config: unknown;
  sampleSteps: number[];
  samplePaths: string[];
  events: { step: number; event: string; detail?: string }[];
  metricKeys: string[];
}

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

/** What the event stream says (see runIndex.ts's IndexChange). */
export type Change =
  | { type: 'run'; summary: RunSummary }
  | { type: 'removed'; id: string }
  | { type: 'metrics'; id: string; lines: number; generation: number }
  | { type: 'samples'; id: string; steps: number[] };

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const fetchRuns = () => getJson<{ root: string; runs: RunSummary[] }>('/api/runs');

export const fetchRun = (id: string) => getJson<RunDetail>(`/api/run?id=${encodeURIComponent(id)}`);

export async function fetchMetrics(id: string, keys?: string[]): Promise<MetricsResponse> {
  const q = keys ? `&keys=${keys.map(encodeURIComponent).join(',')}` : '';
  const raw = await getJson<{ id: string; lines: number; generation: number; series: Record<string, { x: number[]; y: number[]; mean?: number[] }> }>(
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
