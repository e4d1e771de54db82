import { learningRateFactor, type TrainConfig } from '../config.js';
import type { ImageSet } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import type { EvalResult } from '../eval/result.js';
import { NonFiniteWeightsError } from '../run/checkpointFormat.js';
import { RunCheckpoints } from '../run/checkpointStore.js';
import { RunMetrics, type MetricsRecord } from '../run/metricsLog.js';
import type { RunStore } from '../run/store.js';
import { RealBatches } from './batches.js';
import { CheckpointPolicy } from './checkpointPolicy.js';
import { DivergencePolicy, nonFiniteReason } from './divergence.js';
import { Gan } from './gan.js';
import { silentProgress, type ProgressSink } from './progressSink.js';
import { resumeStep } from './resume.js';
import { StepLog } from './stepLog.js';
import { disposeStepInputs, stepInputs } from './stepInputs.js';
import { TimeBudget, TrainingStoppedError, qualityTargetsMet } from './stopConditions.js';

/**
 * The run's config fitted to its data, before anything is written: batches over the data, the
 * epochs as steps, a conditional run's classes from its labels.
 */
export function fitConfigToData(config: TrainConfig, data: ImageSet): { config: TrainConfig; batches: RealBatches } {
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
  return { config, batches };
}

/** What asks a run to stop between steps: a signal in Node, the pause button in a page. */
export interface StopSource {
  /** The reason to stop (a signal's name, "pause"), or null to go on. */
  requested(): string | null;
  /** Lets the runtime deliver the request (called between steps). */
  between(): Promise<void>;
}

export interface Evaluator {
  evaluate(gan: Gan): Promise<EvalResult>;
  dispose(): void;
}

export interface LoopOptions {
  /** The resolved config, fitted to the data (fitConfigToData). */
  config: TrainConfig;
  data: ImageSet;
  batches: RealBatches;
  /** The run's files: config.json, metrics.jsonl, checkpoints/ (samples/ is the host's, through `onSamples`). */
  store: RunStore;
  /** Continue from the newest intact checkpoint (or from `resumeFrom`). */
  resume?: boolean;
  resumeFrom?: string;
  /** Use fused optimizer kernels where the backend installs them. */
  fusedOptimizers?: boolean;
  progress?: ProgressSink;
  stop?: StopSource;
  /** Scores G every `evalEvery` steps (the Node package's feature networks); none in a page. */
  evaluator?: Evaluator | null;
  /** G's grid for the run's fixed noise, every `sampleEvery` steps and at the last. */
  onSamples?: (step: number, gan: Gan) => Promise<void>;
  onReady?: (info: { config: TrainConfig; startStep: number; images: number }) => void;
  onLog?: (record: MetricsRecord) => void;
  /** Warnings (a damaged checkpoint passed over). */
  warn?: (line: string) => void;
  /** Stop after this many minutes of training in this call, at a checkpoint of the step reached. */
  minutes?: number;
  /** Resident memory in MB for the records, where the runtime can tell. */
  memoryMb?: () => number | null;
}

export interface LoopResult {
  gan: Gan;
  config: TrainConfig;
  /** Completed steps, the resumed ones included. */
  steps: number;
  startedAt: number;
  seconds: number;
  /** Which quality target stopped the run early, if one did. */
  targetReached: string | null;
  /** Whether the `minutes` budget stopped the run before its planned steps. */
  outOfTime: boolean;
}

/**
 * The tutorial's loop, the same in Node and in a page. Steps 1 to 6 are marked where they
 * happen; everything else here is bookkeeping on a cadence (logs, sample grids, checkpoints)
 * and the guards that keep a run from being lost (stop requests, divergence).
 */
export async function runTrainingLoop(options: LoopOptions): Promise<LoopResult> {
  const { config, batches, store } = options;
  const progress = options.progress ?? silentProgress;
  const warn = options.warn ?? (() => {});
  const checkpointStore = new RunCheckpoints(store);
  const log = new RunMetrics(store);
  // Step 1: initialise G and D (seeded), and their optimizers; a resumed run then loads its checkpoint.
  const gan = new Gan(config, { fusedOptimizers: options.fusedOptimizers ?? true });
  let startStep: number;
  try {
    startStep = await resumeStep(options, config, gan, checkpointStore, log, warn);
  } catch (e) {
    gan.dispose();
    throw e;
  }
  await store.write('config.json', JSON.stringify(config, null, 2) + '\n');

  options.onReady?.({ config, startStep, images: options.data.count });
  const records = new StepLog(config, log, progress, options.onLog, options.memoryMb);
  const checkpoints = await CheckpointPolicy.create(config, checkpointStore, gan, startStep);
  const divergence = new DivergencePolicy(config, checkpointStore, gan, log, progress, warn);
  const evaluator = config.evalEvery > 0 ? options.evaluator ?? null : null;
  const due = (done: number, every: number) => done % every === 0 || done === config.steps;
  let reached: string | null = null;
  let outOfTime = false;
  const budget = options.minutes !== undefined ? new TimeBudget(options.minutes) : null;
  const stopRequested = () => options.stop?.requested() ?? null;

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
          step = await divergence.rollBack(done, diverged);
          continue;
        }
        await records.step(done, batches.epochOf(step * config.dSteps), stats);
      }
      progress.tick(done, records.stepsPerSecond(), '');
      outOfTime = done < config.steps && (budget?.spent() ?? false);
      if (due(done, config.sampleEvery)) await options.onSamples?.(done, gan);
      if (checkpoints.due(done, stopRequested() !== null || outOfTime)) {
        try {
          await checkpoints.save(done);
        } catch (e) {
          if (!(e instanceof NonFiniteWeightsError)) throw e;
          step = await divergence.rollBack(done, e.message);
          continue;
        }
      }
      if (evaluator && due(done, config.evalEvery)) {
        // Step 6's other exit: the samples are good enough.
        const result = await evaluator.evaluate(gan);
        await records.evaluation(done, result);
        reached = qualityTargetsMet(config, result);
        await checkpoints.afterEvaluation(done, result.fid, reached !== null);
        if (reached !== null) {
          progress.line(`target reached at step ${done}: ${reached}`);
          step = done;
          break;
        }
      }
      const stop = stopRequested();
      if (stop) throw new TrainingStoppedError(stop, checkpoints.lastStep);
      step = done;
      if (outOfTime) {
        progress.line(`${budget!.minutes} minutes of training reached at step ${done}; a checkpoint of that step is written`);
        break;
      }
      await options.stop?.between();
    }
  } catch (e) {
    if (!(e instanceof TrainingStoppedError)) gan.dispose();
    throw e;
  } finally {
    progress.done();
  }
  return { gan, config, steps: step, startedAt: records.startedAt, seconds: (Date.now() - records.startedAt) / 1000, targetReached: reached, outOfTime };
}
