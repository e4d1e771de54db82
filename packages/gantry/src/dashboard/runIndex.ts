import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { runFiles } from '../runFolder/files.js';
import { RunView } from './runView.js';
import type { IndexChange, RunSummary } from 'gantry-core/dashboard/wire.js';

/** How deep under the root run folders are looked for (a sweep's runs sit one level down). */
const maxDepth = 3;
/** A safety net under fs.watch, which can miss events on some file systems. */
const pollMs = 1000;
/** Changes within this window are read together. */
const settleMs = 60;

/** A folder is a run when the trainer has written one of these in it. */
function isRunFolder(dir: string): boolean {
  const files = runFiles(dir);
  return [files.config, files.metrics, files.lock].some((f) => existsSync(f));
}

/**
 * Every run under a root folder, kept current: folders are found again every second and on
 * changes under the root, and each run re-reads only what changed (appended metrics bytes, a
 * new sample grid, a new checkpoint pointer, the lock). Listeners get one `change` event per
 * thing that changed.
 */
export class RunIndex extends EventEmitter<{ change: [IndexChange] }> {
  readonly runs = new Map<string, RunView>();
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private settle: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** Settles once every run found at the start has been read (a long metrics log takes a moment). */
  ready: Promise<void> = Promise.resolve();

  constructor(readonly rootReal: string) {
    super();
  }

  /** Start finding and reading runs (see `ready`), and keep watching. */
  start(): void {
    this.ready = this.refresh();
    this.watch(this.rootReal);
    this.timer = setInterval(() => void this.refresh(), pollMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Summaries of every run, newest first. */
  list(): RunSummary[] {
    return [...this.runs.values()].map((r) => r.summary()).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  }

  /** Re-read everything that changed; overlapping calls run once more after the current one. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.refreshOnce();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private soon(): void {
    if (this.closed || this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = null;
      void this.refresh();
    }, settleMs);
  }

  private watch(dir: string): void {
    if (this.watchers.has(dir) || this.closed) return;
    try {
      const w = watch(dir, { persistent: false }, () => this.soon());
      w.on('error', () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // the poll still sees the change, a second later
    }
  }

  private async refreshOnce(): Promise<void> {
    const found = new Map<string, string>();
    this.discover(this.rootReal, 0, found);
    for (const id of [...this.runs.keys()]) {
      if (!found.has(id)) {
        this.runs.delete(id);
        this.emit('change', { type: 'removed', id });
      }
    }
    for (const [id, dir] of found) {
      let run = this.runs.get(id);
      const isNew = !run;
      if (!run) {
        run = new RunView(id, dir);
        this.runs.set(id, run);
        this.watch(dir);
        this.watch(run.folder.files.samples);
        this.watch(run.folder.files.checkpoints);
      }
      const before = isNew ? '' : JSON.stringify(run.summary());
      const changed = await run.folder.refresh();
      if (this.closed) return;
      // made after the run was found
      for (const sub of [run.folder.files.samples, run.folder.files.checkpoints]) if (!this.watchers.has(sub)) this.watch(sub);
      const summary = run.summary();
      if (isNew || JSON.stringify(summary) !== before) this.emit('change', { type: 'run', summary });
      if (changed.metrics) this.emit('change', { type: 'metrics', id, lines: run.folder.metrics.lines, generation: run.folder.metrics.generation });
      if (changed.samples) this.emit('change', { type: 'samples', id, steps: run.folder.sampleSteps });
    }
  }

  /** Run folders under `dir`; symlinks are followed only where they stay inside the root. */
  private discover(dir: string, depth: number, found: Map<string, string>): void {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      let real: string;
      try {
        real = realpathSync(join(dir, entry.name));
        if (!statSync(real).isDirectory()) continue;
      } catch {
        continue;
      }
      if (!real.startsWith(this.rootReal + sep)) continue;
      const id = relative(this.rootReal, join(dir, entry.name)).split(sep).join('/');
      if (isRunFolder(real)) {
        found.set(id, real);
      } else if (depth + 1 < maxDepth) {
        this.discover(join(dir, entry.name), depth + 1, found);
      }
    }
  }
}
