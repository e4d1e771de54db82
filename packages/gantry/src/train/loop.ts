import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { learningRateFactor, resolveTrainConfig, type TrainConfig, type TrainOverrides } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { loadDataset } from '../data/load.js';
import { UsageError } from 'gantry-core/errors.js';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import { makeDirectory } from '../io/directories.js';
import { CheckpointStore, NonFiniteWeightsError } from '../io/checkpoint.js';
import { MetricsLog, type MetricsRecord } from '../io/metricsLog.js';
import { writeImageGridPng } from '../io/png.js';
import { RunLock } from '../runFolder/lock.js';
import { Stream } from 'gantry-core/util/random.js';
import { RealBatches } from 'gantry-core/train/batches.js';
import { CheckpointPolicy } from './checkpointPolicy.js';
import { DivergencePolicy, nonFiniteReason } from './divergence.js';
import { TrainingEvaluator } from './evaluation.js';
import { Gan } from 'gantry-core/train/gan.js';
import { cyclingLabels, generateImages01, imageShapeOf } from 'gantry-core/train/images.js';
import { Progress } from './progress.js';
import { resumeStep } from './resume.js';
import { StepLog } from './stepLog.js';
import { disposeStepInputs, stepInputs } from 'gantry-core/train/stepInputs.js';
import { StopOnSignal, TimeBudget, TrainingStoppedError, qualityTargetsMet } from './stopConditions.js';

export { TrainingDivergedError } from './divergence.js';
export { TrainingStoppedError } from './stopConditions.js';

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

export interface TrainResult {
  gan: Gan;
  config: TrainConfig;
  /** Completed steps, the resumed ones included. */
  steps: number;
  startedAt: number;
  seconds: number;
  /** Which quality target stopped the run early, if one did. */
  targetReached?: string | null;
  /** Whether the `minutes` budget stopped the run before its planned steps. */
  outOfTime?: boolean;
}


/**
 * The tutorial's loop. Steps 1 to 6 are marked where they happen; everything else here is
 * bookkeeping on a cadence (logs, sample grids, checkpoints) and the guards that keep a run
 * from being lost (a lock, signals, divergence).
 */
export async function train(options: TrainRunOptions): Promise<TrainResult> {
  const { out } = options;
  let config = options.config;
  const store = new CheckpointStore(out);
  const log = new MetricsLog(join(out, 'metrics.jsonl'));

  const data = options.data ?? (await loadDataset(config.data, { shape: imageShapeOf(config), image: config.dataOptions, progress: !options.quiet }));
  const batches = new RealBatches(data, config.batchSize, config.seed, config.pixelRange);
  if (batches.stepsPerEpoch < 1) {
    throw new UsageError(`the data has ${data.count} images, fewer than one batch of ${config.batchSize}; use a smaller --batch-size`);
  }
  if (config.epochs !== null) config = { ...config, steps: Math.max(1, Math.floor((config.epochs * batches.stepsPerEpoch) / config.dSteps)) };
  if (config.conditional) {
    if (!data.labels || !data.numClasses) throw new UsageError(`conditional training needs labelled data; ${config.data} has no labels (use mnist, fashion-mnist, a folder of class subfolders, or idx with a labels file)`);
    if (config.numClasses !== null && config.numClasses !== data.numClasses) {
      throw new UsageError(`the run was configured for ${config.numClasses} classes but ${config.data} has ${data.numClasses}`);
    }
    config = { ...config, numClasses: data.numClasses };
  }

  makeDirectory(out, 'run directory');
  makeDirectory(join(out, 'samples'), 'samples folder');
  const lock = RunLock.acquire(out);
  try {
    return await trainLocked(options, config, data, batches, store, log);
  } finally {
    lock.release();
  }
}

async function trainLocked(options: TrainRunOptions, config: TrainConfig, data: ImageSet, batches: RealBatches, store: CheckpointStore, log: MetricsLog): Promise<TrainResult> {
  const signals = new StopOnSignal();
  // Step 1: initialise G and D (seeded), and their optimizers; a resumed run then loads its checkpoint.
  const gan = new Gan(config, { fusedOptimizers: !options.referenceOptimizers });
  let startStep: number;
  try {
    startStep = resumeStep(options, config, gan, store, log);
  } catch (e) {
    gan.dispose();
    signals.dispose();
    throw e;
  }
  writeFileAtomicSync(join(options.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  options.onReady?.({ config, startStep, images: data.count });
  const progress = new Progress(config.steps, process.stderr, options.quiet);
  const records = new StepLog(config, log, progress, options.onLog);
  const checkpoints = new CheckpointPolicy(config, store, gan, startStep);
  const divergence = new DivergencePolicy(config, store, gan, log, progress);
  const evaluator = config.evalEvery > 0 ? new TrainingEvaluator(config) : null;
  const due = (done: number, every: number) => done % every === 0 || done === config.steps;
  let reached: string | null = null;
  let outOfTime = false;
  const budget = options.minutes !== undefined ? new TimeBudget(options.minutes) : null;

  let step = startStep;
  try {
    // Step 6: repeat steps 2 to 5 until the planned number of steps is done.
    while (step < config.steps) {
      const done = step + 1;
      gan.optG.scheduleScale = gan.optD.scheduleScale = learningRateFactor(config.lrSchedule, step, config.steps);
      // Step 2: real batches (dSteps of them, one per D update), in the seeded order of their epoch, and the step's noise.
      const inputs = stepInputs(config, step, batches);
      // Steps 3 to 5 (Gan.trainStep): fakes from z, the D update(s), the G update on fresh z.
      const stats = await gan.trainStep(step, inputs.d, inputs.g, due(done, config.logEvery));
      disposeStepInputs(inputs);
      records.stepTrained();

      if (stats) {
        const diverged = nonFiniteReason(stats, gan);
        if (diverged) {
          step = divergence.rollBack(done, diverged);
          continue;
        }
        records.step(done, batches.epochOf(step * config.dSteps), stats);
      }
      progress.tick(done, records.stepsPerSecond(), '');
      outOfTime = done < config.steps && (budget?.spent() ?? false);
      if (due(done, config.sampleEvery)) await writeSampleGrid(gan, config, join(options.out, 'samples', `step-${String(done).padStart(9, '0')}.png`));
      if (checkpoints.due(done, signals.signal !== null || outOfTime)) {
        try {
          await checkpoints.save(done);
        } catch (e) {
          if (!(e instanceof NonFiniteWeightsError)) throw e;
          step = divergence.rollBack(done, e.message);
          continue;
        }
      }
      if (evaluator && due(done, config.evalEvery)) {
        // Step 6's other exit: the samples are good enough.
        const result = await evaluator.evaluate(gan);
        records.evaluation(done, result);
        reached = qualityTargetsMet(config, result);
        await checkpoints.afterEvaluation(done, result.fid, reached !== null);
        if (reached !== null) {
          progress.line(`target reached at step ${done}: ${reached}`);
          step = done;
          break;
        }
      }
      if (signals.signal) throw new TrainingStoppedError(signals.signal, checkpoints.lastStep);
      step = done;
      if (outOfTime) {
        progress.line(`${budget!.minutes} minutes of training reached at step ${done}; a checkpoint of that step is written`);
        break;
      }
      await signals.listen();
    }
  } finally {
    progress.done();
    signals.dispose();
    evaluator?.dispose();
  }
  return { gan, config, steps: step, startedAt: records.startedAt, seconds: (Date.now() - records.startedAt) / 1000, targetReached: reached, outOfTime };
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
