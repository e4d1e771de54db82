// The dashboard's JSON, as the server sends it and the page receives it. Types only, with no
// imports: the browser package (packages/web/src/dashboard/api.ts) imports them from here, so the
// two sides cannot drift apart.

export type RunState = 'running' | 'finished' | 'stopped' | 'diverged' | 'crashed';

/** One row of the run list; also the head of a run's page. Sent to the browser as JSON. */
export interface RunSummary {
  /** The run's folder relative to the root, with '/' separators: its name in URLs. */
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
  /** ISO time the run was started (its lock, else its folder's creation). */
  startedAt: string | null;
  /** Seconds spent training, over all sessions of a resumed run. */
  durationSeconds: number;
  /** ISO time metrics.jsonl was last written. */
  updatedAt: string | null;
  latestCheckpoint: number | null;
  bestCheckpoint: { step: number; metric: string; value: number } | null;
  samples: number;
  lines: number;
  /** Lines skipped because they did not parse (a run killed mid-write), and a torn last line. */
  tornLines: number;
  /** Diverged events in the log (a lower-lr run may continue after some). */
  divergences: number;
}

/** Everything the run page shows besides the charts. */
export interface RunDetail {
  summary: RunSummary;
  config: unknown;
  /** Steps of samples/step-*.png, ascending. */
  sampleSteps: number[];
  /** The sample grid files, by step, relative to the root (for /files/...). */
  samplePaths: string[];
  events: { step: number; event: string; detail?: string }[];
  metricKeys: string[];
}

/** One metric as `/api/metrics` sends it: see MinMaxSeries.points. */
export interface WireSeries {
  x: number[];
  y: number[];
  /** Where points were merged: each point's group mean. */
  mean?: number[];
}

/** `/api/metrics`: a run's series, downsampled on the server. */
export interface WireMetrics {
  id: string;
  lines: number;
  generation: number;
  series: Record<string, WireSeries>;
}

/** What the event stream says: a run appeared or changed, went away, logged, or drew samples. */
export type IndexChange =
  | { type: 'run'; summary: RunSummary }
  | { type: 'removed'; id: string }
  | { type: 'metrics'; id: string; lines: number; generation: number }
  | { type: 'samples'; id: string; steps: number[] };
