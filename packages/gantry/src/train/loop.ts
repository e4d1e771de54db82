import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { learningRateFactor, resolveTrainConfig, type TrainConfig, type TrainOverrides } from '../config.js';
import type { ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { UsageError } from '../errors.js';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import { makeDirectory } from '../io/directories.js';
import { CheckpointStore, NonFiniteWeightsError } from '../io/checkpoint.js';
import { MetricsLog, type MetricsRecord } from '../io/metricsLog.js';
import { writeImageGridPng } from '../io/png.js';
import { restoreCheckpoint } from '../runFolder/checkpoints.js';
import { RunLock } from '../runFolder/lock.js';
import { Stream } from '../util/random.js';
import { RealBatches, noiseBatch, randomLabels } from './batches.js';
import { Gan, disposeStepInputs, type DiscriminatorBatch, type GeneratorBatch, type StepStats } from './gan.js';
import { cyclingLabels, generateImages01, imageShapeOf } from './images.js';
import { Progress } from './progress.js';
import { TrainingEvaluator, evalRecord } from './evaluation.js';

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
  const { out } = options;
  const stopper = new StopOnSignal();

  // Step 1: initialise G and D (seeded), and their optimizers.
  const gan = new Gan(config, { fusedOptimizers: !options.referenceOptimizers });
  const rollBack = (name?: string): number => {
    const ckpt = restoreCheckpoint(store, gan, name);
    for (const skipped of ckpt.skipped) {
      // a damaged checkpoint is passed over, said once on stderr and once in the log
      console.error(`gantry: warning: checkpoint ${skipped.name} skipped (${skipped.reason}); continuing from ${basename(ckpt.dir)}`);
      log.append({ step: ckpt.step, event: 'checkpoint-skipped', checkpoint: skipped.name, reason: skipped.reason, resumedFrom: basename(ckpt.dir) });
    }
    return ckpt.step;
  };
  let startStep = 0;
  const resume = options.resume || options.resumeFrom !== undefined;
  if (options.resumeFrom !== undefined || (resume && store.candidates().length > 0)) {
    try {
      startStep = rollBack(options.resumeFrom);
    } catch (e) {
      gan.dispose();
      stopper.dispose();
      throw e;
    }
    if (startStep > config.steps) {
      gan.dispose();
      stopper.dispose();
      throw new UsageError(`the run is already at step ${startStep}; --steps is the total, so give more than ${startStep}`);
    }
    // drop what came after the checkpoint, and the extra record a run writes at its last step
    log.retain((r) => r.step < startStep || (r.step === startStep && (startStep % config.logEvery === 0 || r.event === 'checkpoint-skipped')));
  } else if (resume) {
    // a run that ended before its first checkpoint starts again at step 0; its old lines would
    // repeat steps (dropped here, under the run's lock, so no other process is writing them)
    log.retain(() => false);
  }
  writeFileAtomicSync(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  options.onReady?.({ config, startStep, images: data.count });
  const progress = new Progress(config.steps, process.stderr, options.quiet);
  const startedAt = Date.now();
  let windowStart = performance.now();
  let windowSteps = 0;
  let lastCheckpoint = startStep;
  let lowered = 0;
  const evaluator = config.evalEvery > 0 ? new TrainingEvaluator(config) : null;
  let bestFid = store.best()?.value ?? Infinity;
  let reached: string | null = null;

  const checkpoint = (done: number) => {
    store.save(done, gan.namedState(), gan.counters(), config, config.keepCheckpoints);
    lastCheckpoint = done;
  };

  /** NaN or Inf: never checkpoint it; roll back to the last good checkpoint, then stop or go on slower. */
  const diverged = (step: number, what: string): number => {
    log.append({ step, event: 'diverged', detail: what });
    if (!store.latestName()) {
      throw new TrainingDivergedError(`training diverged at step ${step} (${what}) before the first checkpoint, so there is nothing to roll back to; lower the learning rate and start again`);
    }
    const back = rollBack();
    if (config.onDivergence === 'lower-lr' && lowered < 3) {
      lowered += 1;
      gan.optG.learningRateScale *= 0.5;
      gan.optD.learningRateScale *= 0.5;
      progress.line(`diverged at step ${step} (${what}); rolled back to step ${back} and halved the learning rates (scale ${gan.optG.learningRateScale})`);
      log.retain((r) => r.step <= back || r.event === 'diverged');
      return back;
    }
    throw new TrainingDivergedError(`training diverged at step ${step} (${what}); rolled back to the checkpoint of step ${back}, which is intact; lower the learning rate (optimizerG/optimizerD in --config) or set onDivergence to "lower-lr", then continue with --resume`);
  };

  let step = startStep;
  try {
    // Step 6: repeat steps 2 to 5 until the planned number of steps is done.
    while (step < config.steps) {
      const done = step + 1;
      const logNow = done % config.logEvery === 0 || done === config.steps;
      gan.optG.scheduleScale = gan.optD.scheduleScale = learningRateFactor(config.lrSchedule, step, config.steps);
      // Step 2: real batches (dSteps of them, one per D update), in the seeded order of their epoch.
      // Steps 3 to 5 (Gan.trainStep): fakes from z, the D update(s), the G update on fresh z.
      const dBatches: DiscriminatorBatch[] = [];
      for (let k = 0; k < config.dSteps; k++) {
        const index = step * config.dSteps + k;
        const { images, labels } = batches.batch(index, config.conditional);
        dBatches.push({
          real: images,
          realLabels: labels,
          z: noiseBatch(config.seed, Stream.noiseD, index, config.batchSize, config.latentDim),
          fakeLabels: config.numClasses ? randomLabels(config.seed, 2 * index, config.batchSize, config.numClasses) : undefined,
          counter: index,
        });
      }
      const gBatch: GeneratorBatch = {
        z: noiseBatch(config.seed, Stream.noiseG, step, config.batchSize, config.latentDim),
        fakeLabels: config.numClasses ? randomLabels(config.seed, 2 * step + 1, config.batchSize, config.numClasses) : undefined,
        counter: step,
      };
      const stats = gan.trainStep(step, dBatches, gBatch, logNow);
      disposeStepInputs(dBatches, gBatch);
      windowSteps += 1;

      if (stats) {
        if (!Number.isFinite(stats.lossD) || !Number.isFinite(stats.lossG) || !gan.weightsFinite()) {
          step = diverged(done, `L_D = ${stats.lossD}, L_G = ${stats.lossG}`);
          continue;
        }
        const now = performance.now();
        const record = metricsRecord(done, batches.epochOf(step * config.dSteps), stats, windowSteps, (now - windowStart) / 1000, config.batchSize, startedAt);
        windowStart = now;
        windowSteps = 0;
        log.append(record);
        options.onLog?.(record);
        progress.line(formatLogLine(record, config.steps));
      }
      progress.tick(done, 1000 / Math.max(1e-9, (performance.now() - windowStart) / Math.max(1, windowSteps)), '');
      if (done % config.sampleEvery === 0 || done === config.steps) await writeSampleGrid(gan, config, join(out, 'samples', `step-${String(done).padStart(9, '0')}.png`));
      if (done % config.checkpointEvery === 0 || done === config.steps || stopper.signal) {
        try {
          checkpoint(done);
        } catch (e) {
          if (!(e instanceof NonFiniteWeightsError)) throw e;
          step = diverged(done, e.message);
          continue;
        }
      }
      if (evaluator && (done % config.evalEvery === 0 || done === config.steps)) {
        // Step 6's other exit: the samples are good enough.
        const result = await evaluator.evaluate(gan);
        const record = { step: done, ...evalRecord(result) };
        log.append(record);
        options.onLog?.(record);
        progress.line(`eval at step ${done}: FID ${result.fid.toFixed(2)}  KID ${result.kid.mean.toFixed(3)}  IS ${result.is.mean.toFixed(2)}  precision ${result.precision.toFixed(3)}  recall ${result.recall.toFixed(3)}  classes ${result.coverage.classes}`);
        const targets = [
          config.untilFid !== null && result.fid <= config.untilFid ? `FID ${result.fid.toFixed(3)} <= ${config.untilFid}` : null,
          config.untilKid !== null && result.kid.mean <= config.untilKid ? `KID ${result.kid.mean.toFixed(4)} <= ${config.untilKid}` : null,
        ].filter((t): t is string => t !== null);
        if (result.fid < bestFid || targets.length > 0) {
          if (lastCheckpoint !== done) checkpoint(done);
          if (result.fid < bestFid) {
            bestFid = result.fid;
            store.markBest(done, 'fid', result.fid);
          }
        }
        if (targets.length > 0) {
          reached = targets.join(', ');
          progress.line(`target reached at step ${done}: ${reached}`);
          step = done;
          break;
        }
      }
      if (stopper.signal) throw new TrainingStoppedError(stopper.signal, lastCheckpoint);
      step = done;
      // let signal handlers run between steps
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    progress.done();
    stopper.dispose();
    evaluator?.dispose();
  }
  return { gan, config, steps: step, startedAt, seconds: (Date.now() - startedAt) / 1000, targetReached: reached };
}

/** The first SIGINT or SIGTERM asks the loop to checkpoint and stop; a second one exits at once. */
class StopOnSignal {
  signal: NodeJS.Signals | null = null;
  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.signal) process.exit(sig === 'SIGINT' ? 130 : 143);
    this.signal = sig;
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  dispose(): void {
    process.removeListener('SIGINT', this.handler);
    process.removeListener('SIGTERM', this.handler);
  }
}

/** Training stopped on request, after writing a checkpoint. */
export class TrainingStoppedError extends Error {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals, readonly step: number) {
    super(`stopped by ${signal} at step ${step}; a checkpoint of that step is written; continue with --resume`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

function metricsRecord(step: number, epoch: number, s: StepStats, windowSteps: number, seconds: number, batchSize: number, startedAt: number): MetricsRecord {
  return {
    step,
    epoch,
    'loss/D': s.lossD,
    'loss/G': s.lossG,
    'D/real': s.dReal,
    'D/fake': s.dFake,
    'D/acc_real': s.accReal,
    'D/acc_fake': s.accFake,
    ...(s.penalty !== undefined ? { 'loss/penalty': s.penalty } : {}),
    ...(s.augmentP !== undefined ? { 'augment/p': s.augmentP } : {}),
    'perf/images_per_s': seconds > 0 ? (windowSteps * batchSize) / seconds : null,
    'perf/ms_per_step': windowSteps > 0 ? (1000 * seconds) / windowSteps : null,
    'time/elapsed_s': (Date.now() - startedAt) / 1000,
    // for spotting leaks in long runs: both should stay flat
    'perf/rss_mb': Math.round(process.memoryUsage.rss() / 1048576),
    'perf/tensors': tf.memory().numTensors,
  };
}

function formatLogLine(r: MetricsRecord, total: number): string {
  const f = (k: string, d = 4) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(d) : '-');
  return `step ${r.step}/${total} epoch ${r.epoch}  L_D ${f('loss/D')}  L_G ${f('loss/G')}  D(x) ${f('D/real', 3)}  D(G(z)) ${f('D/fake', 3)}  acc ${f('D/acc_real', 2)}/${f('D/acc_fake', 2)}  ${f('perf/images_per_s', 0)} img/s`;
}

export class TrainingDivergedError extends Error {
  readonly exitCode = 1;
}

/** G's images for the run's fixed noise batch as one PNG grid (rows cycle through the classes of a conditional run). */
export async function writeSampleGrid(gan: Gan, config: TrainConfig, path: string): Promise<void> {
  const pixels = generateImages01(gan, config.seed, Stream.sampleNoise, config.sampleCount, cyclingLabels(config));
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
