import type { Change, RunSummary } from './api.js';

/** What every view is given: the runs as the event stream keeps them, and the root folder. */
export interface AppContext {
  runs: Map<string, RunSummary>;
  root: string;
}

/** A page of the dashboard: mounted into the main area, told of every change, destroyed on leaving. */
export interface View {
  el: HTMLElement;
  onChange(change: Change): void;
  destroy(): void;
}
