import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig, type TrainConfig, type TrainOverrides } from '../config.js';
import type { ImageSet, ImageShape } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { UsageError } from '../errors.js';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import { CheckpointStore, restoreVariables } from '../io/checkpoint.js';
import { MetricsLog, type MetricsRecord } from '../io/metricsLog.js';
import { writeImageGridPng } from '../io/png.js';
import { Stream } from '../util/random.js';
import { RealBatches, noiseBatch } from './batches.js';
import { Gan, type StepStats } from './gan.js';
import { Progress } from './progress.js';

export interface TrainRunOptions {
  config: TrainConfig;
  /** The run directory: config.json, metrics.jsonl, samples/, checkpoints/. */
  out: string;
  /** Continue from the run's latest complete checkpoint. */
  resume?: boolean;
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
}

/** The shape of one image the generator makes. */
export function imageShapeOf(config: TrainConfig): ImageShape {
  const l = config.discriminator.input;
  return { height: l[0], width: l[1], channels: l[2] };
}

/**
 * The tutorial's loop. Steps 1 to 6 are marked where they happen; everything else here is
 * bookkeeping on a cadence: logs, sample grids, checkpoints.
 */
export async function train(options: TrainRunOptions): Promise<TrainResult> {
  const { out } = options;
  let config = options.config;
  const store = new CheckpointStore(out);
  const log = new MetricsLog(join(out, 'metrics.jsonl'));

  const data = options.data ?? (await loadDataset(config.data, { shape: imageShapeOf(config) }));
  const batches = new RealBatches(data, config.batchSize, config.seed, config.pixelRange);
  if (batches.stepsPerEpoch < 1) {
    throw new UsageError(`the data has ${data.count} images, fewer than one batch of ${config.batchSize}; use a smaller --batch-size`);
  }
  if (config.epochs !== null) config = { ...config, steps: config.epochs * batches.stepsPerEpoch };

  // Step 1: initialise G and D (seeded), and their optimizers.
  const gan = new Gan(config, { fusedOptimizers: !options.referenceOptimizers });
  let startStep = 0;
  if (options.resume && store.latestName()) {
    const ckpt = store.load();
    restoreVariables(ckpt, gan.namedState());
    gan.optG.iterations = ckpt.manifest.counters.optimizerG ?? 0;
    gan.optD.iterations = ckpt.manifest.counters.optimizerD ?? 0;
    startStep = ckpt.manifest.step;
    // drop what came after the checkpoint, and the extra record a run writes at its last step
    log.retain((r) => r.step < startStep || (r.step === startStep && startStep % config.logEvery === 0));
  }
  mkdirSync(join(out, 'samples'), { recursive: true });
  writeFileAtomicSync(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  options.onReady?.({ config, startStep, images: data.count });
  const fixedNoise = noiseBatch(config.seed, Stream.sampleNoise, 0, config.sampleCount, config.latentDim);
  const progress = new Progress(config.steps, process.stderr, options.quiet);
  const startedAt = Date.now();
  let windowStart = performance.now();
  let windowSteps = 0;

  const checkpoint = (done: number) =>
    store.save(done, gan.namedState(), { optimizerG: gan.optG.iterations, optimizerD: gan.optD.iterations }, config, config.keepCheckpoints);

  try {
    // Step 6: repeat steps 2 to 5 until the planned number of steps is done.
    for (let step = startStep; step < config.steps; step++) {
      const done = step + 1;
      const logNow = done % config.logEvery === 0 || done === config.steps;
      // Step 2: a batch of real samples, in the seeded order of this epoch.
      const real = batches.batch(step);
      // Steps 3 to 5 (Gan.trainStep): fakes from z, the D update, the G update on fresh z.
      const zD = noiseBatch(config.seed, Stream.noiseD, step, config.batchSize, config.latentDim);
      const zG = noiseBatch(config.seed, Stream.noiseG, step, config.batchSize, config.latentDim);
      const stats = gan.trainStep(real, zD, zG, logNow);
      tf.dispose([real, zD, zG]);
      windowSteps += 1;

      if (stats) {
        const now = performance.now();
        const seconds = (now - windowStart) / 1000;
        const record = metricsRecord(done, batches.epochOf(step), stats, windowSteps, seconds, config.batchSize, startedAt);
        windowStart = now;
        windowSteps = 0;
        log.append(record);
        options.onLog?.(record);
        progress.line(formatLogLine(record, config.steps));
        checkFinite(stats, done);
      }
      progress.tick(done, 1000 / Math.max(1e-9, (performance.now() - windowStart) / Math.max(1, windowSteps)), '');
      if (done % config.sampleEvery === 0 || done === config.steps) await writeSampleGrid(gan, fixedNoise, config, join(out, 'samples', `step-${String(done).padStart(9, '0')}.png`));
      if (done % config.checkpointEvery === 0 || done === config.steps) checkpoint(done);
    }
  } finally {
    fixedNoise.dispose();
    progress.done();
  }
  return { gan, config, steps: config.steps, startedAt, seconds: (Date.now() - startedAt) / 1000 };
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
    'perf/images_per_s': seconds > 0 ? (windowSteps * batchSize) / seconds : null,
    'perf/ms_per_step': windowSteps > 0 ? (1000 * seconds) / windowSteps : null,
    'time/elapsed_s': (Date.now() - startedAt) / 1000,
  };
}

function formatLogLine(r: MetricsRecord, total: number): string {
  const f = (k: string, d = 4) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(d) : '-');
  return `step ${r.step}/${total} epoch ${r.epoch}  L_D ${f('loss/D')}  L_G ${f('loss/G')}  D(x) ${f('D/real', 3)}  D(G(z)) ${f('D/fake', 3)}  acc ${f('D/acc_real', 2)}/${f('D/acc_fake', 2)}  ${f('perf/images_per_s', 0)} img/s`;
}

function checkFinite(s: StepStats, step: number): void {
  if (!Number.isFinite(s.lossD) || !Number.isFinite(s.lossG)) {
    throw new TrainingDivergedError(`training diverged at step ${step}: L_D = ${s.lossD}, L_G = ${s.lossG}; lower the learning rate or resume from an earlier checkpoint`);
  }
}

export class TrainingDivergedError extends Error {
  readonly exitCode = 1;
}

/** G's images for a fixed noise batch as one PNG grid, in [0, 1]. */
export async function writeSampleGrid(gan: Gan, z: tf.Tensor, config: TrainConfig, path: string): Promise<void> {
  const images = tf.tidy(() => toUnitRange(gan.generate(z), config));
  const [n, h, w, c] = images.shape;
  const pixels = images.dataSync() as Float32Array;
  images.dispose();
  await writeImageGridPng(path, pixels, n, h, w, c);
}

/** Map G's output to [0, 1]. */
export function toUnitRange(x: tf.Tensor, config: Pick<TrainConfig, 'pixelRange'>): tf.Tensor {
  return config.pixelRange === '-1,1' ? tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1) : tf.clipByValue(x, 0, 1);
}

/**
 * The config of a run directory: a new run resolves it from preset, file and flags; a
 * resumed run reads the stored one, and only the length and cadence may change.
 */
export function prepareRunDirectory(out: string, resume: boolean, fileConfig: Record<string, unknown>, flags: TrainOverrides): TrainConfig {
  const configPath = join(out, 'config.json');
  if (!resume) {
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new UsageError(`run directory ${out} already exists and is not empty; add --resume to continue it, or choose another --out`);
    }
    return resolveTrainConfig(fileConfig, flags);
  }
  if (!existsSync(configPath)) throw new UsageError(`cannot resume: ${configPath} does not exist; start the run without --resume`);
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new UsageError(`cannot resume: ${configPath} is not valid JSON; the run directory is damaged`);
  }
  const changeable = new Set(['steps', 'epochs', 'logEvery', 'sampleEvery', 'checkpointEvery', 'keepCheckpoints', 'backend']);
  for (const [key, value] of Object.entries({ ...fileConfig, ...flags })) {
    if (value === undefined || changeable.has(key)) continue;
    if (JSON.stringify(stored[key]) !== JSON.stringify(value)) {
      throw new UsageError(`cannot resume with ${key} = ${JSON.stringify(value)}: the run was started with ${JSON.stringify(stored[key])}; only the length and cadence (steps, epochs, log/sample/checkpoint intervals, backend) may change`);
    }
  }
  const { preset, ...rest } = stored;
  const length = flags.steps !== undefined ? { epochs: null } : {};
  return resolveTrainConfig({}, { ...(rest as TrainOverrides), ...length, ...dropUndef(flags), preset: preset as string }, configPath);
}

function dropUndef<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
