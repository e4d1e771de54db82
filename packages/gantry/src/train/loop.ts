import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig, type TrainConfig, type TrainOverrides } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { UsageError } from 'gantry-core/errors.js';
import type { MetricsRecord } from 'gantry-core/run/metricsLog.js';
import type { Gan } from 'gantry-core/train/gan.js';
import { cyclingLabels, generateImages01, imageShapeOf } from 'gantry-core/train/images.js';
import { fitConfigToData, runTrainingLoop, type LoopResult } from 'gantry-core/train/loop.js';
import { Stream } from 'gantry-core/util/random.js';
import { loadDataset } from '../data/load.js';
import { makeDirectory } from '../io/directories.js';
import { FsRunStore } from '../io/fsRunStore.js';
import { writeImageGridPng } from '../io/png.js';
import { RunLock } from '../runFolder/lock.js';
import { TrainingEvaluator } from './evaluation.js';
import { Progress } from './progress.js';
import { StopOnSignal } from './signals.js';

export { TrainingDivergedError } from 'gantry-core/train/divergence.js';
export { TrainingStoppedError } from 'gantry-core/train/stopConditions.js';

export interface TrainRunOptions {
  config: TrainConfig;
  /** The run directory: config.json, metrics.jsonl, samples/, checkpoints/. */
  out: string;
  /** Continue from the run's newest intact checkpoint (or from `resumeFrom`). */
  resume?: boolean;
  /** Continue from this checkpoint (a name such as step-000001000, or a step number); implies `resume`. */
  resumeFrom?: string;
  /** Use this data instead of loading `config.data` (tests, library users). */
  data?: ImageSet;
  /** Called once the data is loaded and the model built, before the first step. */
  onReady?: (info: { config: TrainConfig; startStep: number; images: number }) => void;
  /** Called after every logging step with what was logged. */
  onLog?: (record: MetricsRecord) => void;
  quiet?: boolean;
  /** Use the plain TF.js optimizer updates even when a fused kernel is installed. */
  referenceOptimizers?: boolean;
  /**
   * Stop once this many minutes of training have passed in this call (from its first step),
   * after a checkpoint of the step reached; `resume` continues from it.
   */
  minutes?: number;
}

export type TrainResult = LoopResult;


/**
 * `gantry train`'s run: the data loaded, the run directory made and locked, then the core's loop
 * (runTrainingLoop, the tutorial's six steps, the same as in a page) over the directory, with the
 * terminal's progress, the signals, PNG sample grids and the feature-network evaluator.
 */
export async function train(options: TrainRunOptions): Promise<TrainResult> {
  const { out } = options;
  const data = options.data ?? (await loadDataset(options.config.data, { shape: imageShapeOf(options.config), image: options.config.dataOptions, progress: !options.quiet }));
  const { config, batches } = fitConfigToData(options.config, data);

  makeDirectory(out, 'run directory');
  makeDirectory(join(out, 'samples'), 'samples folder');
  const lock = RunLock.acquire(out);
  const signals = new StopOnSignal();
  const evaluator = config.evalEvery > 0 ? new TrainingEvaluator(config) : null;
  try {
    return await runTrainingLoop({
      config, data, batches,
      store: new FsRunStore(out),
      resume: options.resume,
      resumeFrom: options.resumeFrom,
      fusedOptimizers: !options.referenceOptimizers,
      progress: new Progress(config.steps, process.stderr, options.quiet),
      stop: signals,
      evaluator,
      onSamples: (step, gan) => writeSampleGrid(gan, config, join(out, 'samples', `step-${String(step).padStart(9, '0')}.png`)),
      onReady: options.onReady,
      onLog: options.onLog,
      warn: (line) => console.error(`gantry: warning: ${line}`),
      minutes: options.minutes,
      memoryMb: () => Math.round(process.memoryUsage.rss() / 1048576),
    });
  } finally {
    evaluator?.dispose();
    signals.dispose();
    lock.release();
  }
}

/** G's images for the run's fixed noise batch as one PNG grid (rows cycle through the classes of a conditional run). */
export async function writeSampleGrid(gan: Gan, config: TrainConfig, path: string): Promise<void> {
  const pixels = await generateImages01(gan, config.seed, Stream.sampleNoise, config.sampleCount, cyclingLabels(config));
  const [h, w, c] = gan.G.outputShape;
  await writeImageGridPng(path, pixels, config.sampleCount, h, w, c);
}


/**
 * The config of a run directory: a new run resolves it from preset, file and flags; a
 * resumed run reads the stored one, and only the length and cadence may change.
 */
export function prepareRunDirectory(out: string, resume: boolean, fileConfig: Record<string, unknown>, flags: TrainOverrides, where = 'config'): TrainConfig {
  const configPath = join(out, 'config.json');
  if (!resume) {
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new UsageError(`run directory ${out} already exists and is not empty; add --resume to continue it, or choose another --out`);
    }
    return resolveTrainConfig(fileConfig, flags, where);
  }
  if (!existsSync(configPath)) throw new UsageError(`cannot resume: ${configPath} does not exist; start the run without --resume`);
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new UsageError(`cannot resume: ${configPath} is not valid JSON; the run directory is damaged`);
  }
  const changeable = new Set(['steps', 'epochs', 'logEvery', 'sampleEvery', 'checkpointEvery', 'keepCheckpoints', 'backend', 'evalEvery', 'evalSamples', 'untilFid', 'untilKid']);
  for (const [key, value] of Object.entries({ ...fileConfig, ...flags })) {
    if (value === undefined || changeable.has(key)) continue;
    if (JSON.stringify(stored[key]) !== JSON.stringify(value)) {
      throw new UsageError(`cannot resume with ${key} = ${JSON.stringify(value)}: the run was started with ${JSON.stringify(stored[key])}; only the length, cadence and targets (steps, epochs, log/sample/checkpoint/eval intervals, targets, backend) may change`);
    }
  }
  const { preset, ...rest } = stored;
  const length = flags.steps !== undefined ? { epochs: null } : {};
  return resolveTrainConfig({}, { ...(rest as TrainOverrides), ...length, ...dropUndef(flags), preset: preset as string }, configPath);
}

function dropUndef<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
