import * as tf from '@tensorflow/tfjs';
import { backendChoices, resolveTrainConfig } from 'gantry-core/config.js';
import { announce, selectBackend } from '../backend.js';
import { presetNames } from 'gantry-core/models/presets.js';
import { Gan } from 'gantry-core/train/gan.js';
import { RandomRealBatch, disposeStepInputs, stepInputs, withAssumedClasses } from 'gantry-core/train/stepInputs.js';
import { MatmulPeakProbe, countFlops } from 'gantry-core/train/flops.js';
import { choiceFlag, intFlag, parseFlags, stringFlag } from './args.js';

export const benchHelp = `gantry bench [options]

Time D+G training steps of a preset on random data (the step costs the same on any data).

  --preset NAME      ${presetNames().join(' | ')} (default dcgan-mnist)
  --batch-size N     (default: the preset's)
  --steps N          timed steps (default 30)
  --warmup N         untimed steps first (default 5)
  --backend NAME     auto | webgpu | onednn | tensorflow | cpu
  --threads N        threads of the native backend (default: GANTRY_THREADS, else every core)
  --peak             also measure the machine's peak here (a 2048x2048 matrix product on the
                     same backend and threads) and report the step's share of it; the
                     products are timed between the steps (about ten samples, untimed for the
                     steps), so both are measured over the same minutes
  --json             one JSON object on stdout

Beside the time, it reports the FLOPs of one step (its convolutions and matrix products,
forward and the backward ones the step needs, counted from the kernels it runs) and the GFLOP/s
they make at the median time. A convolution counts as a direct one would compute the network's
layer; the native backend does fewer multiplications on 3x3 layers of 32 or more channels
(Winograd kernels) and on a residual block's upsample-then-convolve and convolve-then-pool pairs
(one 4x4 stride-2 convolution each), so a network made of those can pass 100% of the peak.`;

export interface BenchResult {
  preset: string;
  backend: string;
  threads: number | null;
  batchSize: number;
  steps: number;
  msPerStep: { median: number; min: number; max: number };
  imagesPerSecond: number;
  numTensorsGrowth: number;
  /** Convolution and matrix-product FLOPs of one D+G step. */
  flopsPerStep: number;
  /** Those FLOPs over the median step time. */
  gflopsPerSecond: number;
  /**
   * With --peak: a 2048x2048 matrix product's GFLOP/s here (the median of the samples taken
   * between the timed steps, and their range), and the step's share of it.
   */
  peakGflopsPerSecond?: number;
  peakRange?: { min: number; max: number; samples: number };
  peakShare?: number;
  /** The process's peak resident memory, MB (with --peak, as it was before the peak's products). */
  peakRssMb: number;
}

export async function benchCommand(argv: string[]): Promise<void> {
  const v = parseFlags('bench', argv, {
    preset: { type: 'string' }, 'batch-size': { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' },
    backend: { type: 'string' }, threads: { type: 'string' }, peak: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(benchHelp);
    return;
  }
  // random data stands in for the preset's (a step costs the same on any), so a conditional preset is given its classes here
  const config = withAssumedClasses(resolveTrainConfig({}, { preset: stringFlag(v, 'preset'), batchSize: intFlag(v, 'batch-size', 1, 65536) }));
  const steps = intFlag(v, 'steps', 1, 100000) ?? 30;
  const warmup = intFlag(v, 'warmup', 0, 100000) ?? 5;
  const backend = await selectBackend(choiceFlag(v, 'backend', backendChoices) ?? 'auto', { threads: intFlag(v, 'threads', 1, 1024), announce });
  if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);

  const gan = new Gan(config);
  const b = config.batchSize;
  const real = new RandomRealBatch(config, gan.G.outputShape);
  const times: number[] = [];
  let tensorsAfterWarmup = 0;
  // With --peak, a product is timed before the first timed step and after every `every` of them
  // (the first after at least one step has run). The probe's operands and product (48 MB) are
  // made only then, and the process's peak memory is read just before: by then a step has
  // reached its full size, so the figure reports training's memory, not the probe's.
  let probe: MatmulPeakProbe | null = null;
  let rssBeforeProbe = 0;
  let probeTensors = 0; // the probe's operands, not counted as growth of the steps
  const every = Math.max(1, Math.ceil(steps / 10));
  const sample = async () => {
    if (!probe) {
      rssBeforeProbe = process.resourceUsage().maxRSS / 1024;
      const before = tf.memory().numTensors;
      probe = new MatmulPeakProbe();
      probeTensors = tf.memory().numTensors - before;
    }
    await probe.sample();
  };
  for (let i = 0; i < warmup + steps; i++) {
    if (v.peak && i >= Math.max(warmup, 1) && (i - warmup) % every === 0) await sample();
    const inputs = stepInputs(config, i, real);
    const t0 = performance.now();
    await gan.trainStep(i, inputs.d, inputs.g, false);
    // wait for the step's results so asynchronous backends are timed fully
    await gan.G.trainable[0].variable.data();
    const ms = performance.now() - t0;
    disposeStepInputs(inputs, true); // the random real batch is reused
    if (i === warmup - 1 || (warmup === 0 && i === 0)) tensorsAfterWarmup = tf.memory().numTensors;
    if (i >= warmup) times.push(ms);
  }
  if (v.peak) await sample();
  const growth = tf.memory().numTensors - tensorsAfterWarmup - probeTensors;
  // one more, untimed step under the profiler, to count what a step computes
  const counted = stepInputs(config, warmup + steps, real);
  const flops = (await countFlops(() => gan.trainStep(warmup + steps, counted.d, counted.g, false))).total;
  disposeStepInputs(counted, true);
  real.dispose();
  gan.dispose();
  const sorted = times.slice().sort((x, y) => x - y);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const done = probe as MatmulPeakProbe | null;
  const peak = done ? done.median() : undefined;
  const peakRange = done ? { min: Math.min(...done.samples), max: Math.max(...done.samples), samples: done.samples.length } : undefined;
  done?.dispose();
  const gflops = flops / (median * 1e6);
  const result: BenchResult = {
    preset: config.preset,
    backend: backend.name,
    threads: backend.threads,
    batchSize: b,
    steps,
    msPerStep: { median, min: sorted[0], max: sorted[sorted.length - 1] },
    imagesPerSecond: (1000 * b) / median,
    numTensorsGrowth: growth,
    flopsPerStep: flops,
    gflopsPerSecond: gflops,
    peakRssMb: done ? rssBeforeProbe : process.resourceUsage().maxRSS / 1024,
    ...(peak !== undefined ? { peakGflopsPerSecond: peak, peakRange, peakShare: gflops / peak } : {}),
  };
  if (v.json) console.log(JSON.stringify(result));
  else {
    console.log(`${result.preset} batch ${b} on ${result.backend}${result.threads ? ` (${result.threads} thread${result.threads > 1 ? 's' : ''})` : ''}: ` +
      `median ${median.toFixed(2)} ms per D+G step (min ${sorted[0].toFixed(2)}, max ${sorted[sorted.length - 1].toFixed(2)}) over ${steps} steps, ${result.imagesPerSecond.toFixed(0)} images/s`);
    console.log(`  ${(flops / 1e9).toFixed(2)} GFLOP per step (convolutions, as a direct convolution counts them, and matrix products), ${gflops.toFixed(1)} GFLOP/s` +
      (peak !== undefined && peakRange
        ? `; peak here ${peak.toFixed(1)} GFLOP/s (2048x2048 matrix product, median of ${peakRange.samples} taken between the steps, ` +
          `${peakRange.min.toFixed(0)} to ${peakRange.max.toFixed(0)}), so ${(100 * gflops / peak).toFixed(0)}% of it`
        : ''));
  }
}
