// One training run in the page at a time: the core's loop (the same runTrainingLoop as
// `gantry train`) over a run in browser storage, with the page's backend, a pause button as its
// stop source, and the page's status, charts and sample grid as its outputs.
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig, type TrainConfig, type TrainOverrides } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { parseMetrics, type MetricsRecord } from 'gantry-core/run/metricsLog.js';
import type { Gan } from 'gantry-core/train/gan.js';
import { readText, type RunStore } from 'gantry-core/run/store.js';
import { fitConfigToData, runTrainingLoop, type StopSource } from 'gantry-core/train/loop.js';
import { TrainingStoppedError } from 'gantry-core/train/stopConditions.js';
import { useBackend, type PageBackend } from './backends.js';
import type { BrowserRuns } from './browserStore.js';

export type Phase = 'idle' | 'starting' | 'training' | 'pausing' | 'paused' | 'finished' | 'failed';

/** What the page shows and scripts read (`gantryStudio.state()`). */
export interface SessionState {
  phase: Phase;
  run: string | null;
  backend: PageBackend | null;
  step: number;
  steps: number;
  stepsPerSecond: number;
  /** The last sentence about the run (started, paused at step N, an error). */
  message: string;
}

/** The page's own file in a run folder: what the core's config.json cannot hold. */
export const STUDIO_FILE = 'studio.json';

export interface StudioRunInfo {
  /** The TF.js backend the run trained on (a resume takes the same, for the same numbers). */
  backend: PageBackend;
  /** The data as the page named it, and the built-in set's name when it was one. */
  dataTitle: string;
  builtin: string | null;
}

/** The data specs of the studio's built-in sets (data/index.json's `source`), which a resume fetches again. */
const BUILTIN_SPECS = ['mnist', 'fashion-mnist', 'emoji', 'emoji:twitter'];

/** A folder spec's last part (`folder:/a/b/faces` or `/a/b/faces` -> faces): what the page titles a loaded folder. */
function folderTitle(spec: string): string {
  const path = spec.replace(/^folder:/, '').replace(/[/\\]+$/, '');
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) || spec;
}

export interface SessionHooks {
  onState(state: SessionState): void;
  onLog(record: MetricsRecord): void;
  /** A new run (or a resumed one, with its log so far) is about to train. */
  onRunOpened(name: string, config: TrainConfig, history: MetricsRecord[], store: RunStore): void;
  onSamples(step: number, gan: Gan, config: TrainConfig, store: RunStore): Promise<void>;
}

/** The pause button as the loop's stop source; between steps it lets the page handle events. */
class PauseButton implements StopSource {
  private asked = false;
  pause(): void {
    this.asked = true;
  }
  requested(): string | null {
    return this.asked ? 'pause' : null;
  }
  between(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Steps per second over the last few seconds of ticks: steady on a fast backend, and not thrown
 * by the loop's own rate, which restarts its window at every logging step.
 */
export class RateMeter {
  private readonly marks: [number, number][] = [];
  constructor(private readonly windowMs = 3000, private readonly now: () => number = () => performance.now()) {}

  /** Marks `step` as done now; returns the rate. */
  tick(step: number): number {
    const t = this.now();
    this.marks.push([t, step]);
    while (this.marks.length > 2 && t - this.marks[1]![0] >= this.windowMs) this.marks.shift();
    const [t0, s0] = this.marks[0]!;
    return t > t0 ? (1000 * (step - s0)) / (t - t0) : 0;
  }
}

export class TrainingSession {
  private stop: PauseButton | null = null;
  private running: Promise<void> | null = null;
  readonly state: SessionState = { phase: 'idle', run: null, backend: null, step: 0, steps: 0, stepsPerSecond: 0, message: '' };

  constructor(private readonly runs: BrowserRuns, private readonly hooks: SessionHooks) {}

  private set(patch: Partial<SessionState>): void {
    Object.assign(this.state, patch);
    this.hooks.onState({ ...this.state });
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no run is training (at once when none is). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Starts a new run `name` of `config` (resolved) on `data` with `backend`. The user's own images
   * (no built-in set) are kept beside the run once, so that a resume after a reload needs no folder;
   * where they cannot be kept (storage full) the run trains anyway, and says that a resume will ask.
   */
  async start(name: string, config: TrainConfig, data: ImageSet & { classNames?: readonly string[] }, info: StudioRunInfo): Promise<void> {
    await this.launch(name, async (store) => {
      await store.write(STUDIO_FILE, JSON.stringify(info, null, 2) + '\n');
      let note: string | undefined;
      if (info.builtin === null) {
        this.set({ message: `keeping your ${data.count.toLocaleString('en')} images in this browser for ${name}…` });
        try {
          await this.runs.keepData(name, data);
        } catch (e) {
          console.warn(e);
          note = `your images could not be kept in this browser (${(e as Error).message}); a resume after a reload will ask for the folder`;
        }
      }
      return { config, data, info, resume: false, note };
    });
  }

  /**
   * Continues the stored run `name` from its newest intact checkpoint, with the config it was
   * started with and `loadData` for its data (the page fetches the same built-in set again, or
   * reads the images kept beside the run), on the backend it trained on. `steps`, as
   * `gantry train --resume --steps N`, changes the run's total (to continue a finished one).
   */
  async resume(name: string, loadData: (config: TrainConfig, info: StudioRunInfo) => Promise<ImageSet>, fallbackBackend: PageBackend = 'cpu', steps?: number): Promise<void> {
    await this.launch(name, async (store) => {
      const text = await readText(store, 'config.json');
      if (text === null) throw new Error(`run ${name} has no config.json; it cannot be resumed, start it again`);
      const stored = JSON.parse(text) as Record<string, unknown>;
      const saved = JSON.parse((await readText(store, STUDIO_FILE)) ?? '{}') as Partial<StudioRunInfo>;
      const { preset, ...rest } = stored;
      const length = steps !== undefined ? { steps, epochs: null } : {};
      const config = resolveTrainConfig({}, { ...(rest as TrainOverrides), ...length, preset: preset as string }, `${name}/config.json`);
      // a run from the CLI (uploaded as a zip) has no studio.json: `fallbackBackend`, and its data
      // from config.data (a built-in set by its spec, else the folder's name, which the user loads again)
      const info: StudioRunInfo = {
        backend: saved.backend ?? fallbackBackend,
        dataTitle: saved.dataTitle ?? folderTitle(config.data),
        builtin: saved.builtin ?? (BUILTIN_SPECS.includes(config.data) ? config.data : null),
      };
      return { config, data: await loadData(config, info), info, resume: true };
    });
  }

  /** Asks the run to stop: it checkpoints the step it is on, then stops (phase 'paused'). */
  pause(): void {
    if (!this.stop || this.state.phase !== 'training') return;
    this.stop.pause();
    this.set({ phase: 'pausing', message: 'pausing: writing a checkpoint of this step…' });
  }

  /** Runs the loop on what `prepare` gives; from its first line on, the session is busy (a second start waits its turn or is refused). */
  private async launch(name: string, prepare: (store: RunStore) => Promise<{ config: TrainConfig; data: ImageSet; info: StudioRunInfo; resume: boolean; note?: string }>): Promise<void> {
    if (this.running) throw new Error('a run is already training; pause it first');
    let release!: () => void;
    this.running = new Promise((resolve) => (release = resolve));
    this.set({ phase: 'starting', run: name, step: 0, stepsPerSecond: 0, message: `preparing ${name}…` });
    const stop = (this.stop = new PauseButton());
    try {
      const store = await this.runs.store(name);
      const prepared = await prepare(store);
      this.set({ backend: prepared.info.backend });
      await useBackend(prepared.info.backend);
      const { config, batches } = fitConfigToData(prepared.config, prepared.data);
      const history = prepared.resume ? await this.history(store) : [];
      this.hooks.onRunOpened(name, config, history, store);
      this.set({ steps: config.steps });
      const rate = new RateMeter();
      const result = await runTrainingLoop({
        config, data: prepared.data, batches, store,
        resume: prepared.resume,
        stop,
        progress: {
          tick: (step) => this.set({ phase: this.state.phase === 'pausing' ? 'pausing' : 'training', step, stepsPerSecond: rate.tick(step) }),
          line: (text) => this.set({ message: text }),
          done: () => {},
        },
        onReady: ({ startStep }) => {
          rate.tick(startStep);
          const started = startStep > 0 ? `resumed ${name} at step ${startStep}` : `training ${name}`;
          this.set({ phase: 'training', step: startStep, message: prepared.note ? `${started}; warning: ${prepared.note}` : started });
        },
        onLog: (record) => this.hooks.onLog(record),
        onSamples: (step, gan) => this.hooks.onSamples(step, gan, config, store),
        warn: (line) => this.set({ message: `warning: ${line}` }),
      });
      result.gan.dispose();
      this.set({ phase: 'finished', step: result.steps, message: `finished ${name}: ${result.steps} steps in ${result.seconds.toFixed(1)} s` });
    } catch (e) {
      if (e instanceof TrainingStoppedError) {
        this.set({ phase: 'paused', step: e.step, message: `paused ${name} at step ${e.step}; its checkpoint is in this browser’s storage` });
      } else {
        console.error(e);
        this.set({ phase: 'failed', message: `${name} stopped: ${(e as Error).message}` });
      }
    } finally {
      // the weights of a paused run are in its checkpoint; free what the loop left on the backend
      tf.disposeVariables();
      this.stop = null;
      this.running = null;
      this.set({}); // once more, now that nothing trains: the page enables Start and Resume
      release();
    }
  }

  /** The log up to the checkpoint a resume continues from (the loop drops the rest as it starts). */
  private async history(store: RunStore): Promise<MetricsRecord[]> {
    let upTo = 0;
    try {
      upTo = (JSON.parse((await readText(store, 'checkpoints/latest.json')) ?? '{}') as { step?: number }).step ?? 0;
    } catch { /* no pointer: the loop starts from step 0 */ }
    return parseMetrics((await readText(store, 'metrics.jsonl')) ?? '').filter((r) => r.step <= upTo);
  }
}
