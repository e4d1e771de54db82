import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { noiseBatch } from 'gantry-core/train/batches.js';
import { countFlops } from 'gantry-core/train/flops.js';
import { Gan } from 'gantry-core/train/gan.js';
import { disposeStepInputs } from 'gantry-core/train/stepInputs.js';
import { Stream } from 'gantry-core/util/random.js';

/** FLOPs of one D+G step of a preset at its batch size, counted from the kernels it runs. */
async function stepFlops(preset: string) {
  const config = resolveTrainConfig({}, { preset });
  const gan = new Gan(config);
  const b = config.batchSize;
  const [h, w, c] = gan.G.outputShape;
  const d = [{ real: tf.zeros([b, h, w, c]), z: noiseBatch(0, Stream.noiseD, 0, b, config.latentDim), counter: 0 }];
  const g = { z: noiseBatch(0, Stream.noiseG, 0, b, config.latentDim), counter: 0 };
  const count = await countFlops(() => gan.trainStep(0, d, g, false));
  disposeStepInputs({ d, g });
  gan.dispose();
  return count;
}

// Multiply-adds per image, by hand. A D step runs G forward, D forward on the real and the fake
// batch, and D backward on both (weight gradients everywhere, input gradients except into the
// images). A G step runs G forward, D forward, D's input gradients only (D's weights are not
// trained there), and G backward (weight gradients, input gradients except into z).

test('seed-mlp: the counted FLOPs of a step equal the hand count', async () => {
  await selectBackend('cpu');
  const gForward = 100 * 128 + 128 * 784;
  const dForward = 784 * 128 + 128 * 1;
  const dBackwardD = 128 + 128 + 784 * 128; // dense 2: weights and input; dense 1: weights
  const dStep = gForward + 2 * dForward + 2 * dBackwardD;
  const gBackward = 128 * 784 * 2 + 100 * 128; // dense 2: weights and input; dense 1: weights
  const gStep = gForward + dForward + dForward /* D's input gradients */ + gBackward;
  const count = await stepFlops('seed-mlp');
  assert.equal(count.total, 2 * 32 * (dStep + gStep));
  assert.equal(count.total, 66_748_416);
});

test('dcgan-mnist: the counted FLOPs of a step equal the hand count (10.37 GFLOP at batch 64)', async () => {
  await selectBackend('onednn');
  const convT1 = 7 * 7 * 128 * (4 * 4 * 64); // 7x7x128 -> 14x14x64
  const convT2 = 14 * 14 * 64 * (4 * 4 * 1); // 14x14x64 -> 28x28x1
  const gForward = 100 * 6272 + convT1 + convT2;
  const conv1 = 14 * 14 * 64 * (4 * 4 * 1); // 28x28x1 -> 14x14x64
  const conv2 = 7 * 7 * 128 * (4 * 4 * 64); // 14x14x64 -> 7x7x128
  const dForward = conv1 + conv2 + 6272;
  const dBackwardD = 2 * 6272 + 2 * conv2 + conv1; // no input gradient into the images
  const dStep = gForward + 2 * dForward + 2 * dBackwardD;
  const dInputGradients = 6272 + conv2 + conv1;
  const gBackward = 2 * convT2 + 2 * convT1 + 100 * 6272; // no input gradient into z
  const gStep = gForward + dForward + dInputGradients + gBackward;
  const count = await stepFlops('dcgan-mnist');
  assert.equal(count.total, 2 * 64 * (dStep + gStep));
  assert.equal(count.total, 10_369_171_456);
  // calls: D runs once on real and fake together in the D step and once in the G step, its
  // convolutions with their bias and leaky relu inside (OnednnConv2DBiasActivation); G's transposed convolutions in 2 forward
  // passes, plus D's input gradients (conv 2 in the D step, both convs in the G step); the input
  // gradients of G's two transposed convolutions are plain convolutions; one weight gradient per
  // convolution per backward pass, and none of D's in the G step
  assert.equal(count.byKernel.OnednnConv2DBiasActivation.calls, 2 * 2);
  assert.equal(count.byKernel.FusedConv2D, undefined);
  assert.equal(count.byKernel.Conv2D.calls, 2);
  assert.equal(count.byKernel.Conv2DBackpropInput.calls, 2 * 2 + 1 + 2);
  assert.equal(count.byKernel.Conv2DBackpropFilter.calls, 2 + 2);
});

test('threads: the caller wins, then GANTRY_THREADS (checked), then every available core', async () => {
  const { availableCores, chooseThreads } = await import('../src/backend.js');
  const saved = process.env.GANTRY_THREADS;
  try {
    delete process.env.GANTRY_THREADS;
    const cores = availableCores();
    assert.ok(Number.isInteger(cores) && cores >= 1 && cores <= (await import('node:os')).availableParallelism());
    assert.equal(chooseThreads(), cores);
    assert.equal(chooseThreads(3), 3);
    process.env.GANTRY_THREADS = '2';
    assert.equal(chooseThreads(), 2);
    assert.equal(chooseThreads(1), 1);
    process.env.GANTRY_THREADS = 'two';
    assert.throws(() => chooseThreads(), /^SettingError: GANTRY_THREADS is "two", which is not a whole number of at least 1; unset it for the default/);
  } finally {
    if (saved === undefined) delete process.env.GANTRY_THREADS;
    else process.env.GANTRY_THREADS = saved;
  }
});

test('gantry bench --json reports the step FLOPs, GFLOP/s and the thread count it ran on', async () => {
  const { spawnSync } = await import('node:child_process');
  const { gantryBin } = await import('./badInputCases.js');
  const r = spawnSync(process.execPath, [gantryBin, 'bench', '--preset', 'seed-mlp', '--steps', '3', '--warmup', '1', '--backend', 'onednn', '--threads', '1', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.flopsPerStep, 66_748_416);
  assert.equal(result.threads, 1);
  assert.ok(Math.abs(result.gflopsPerSecond - result.flopsPerStep / (result.msPerStep.median * 1e6)) < 1e-9);
  assert.equal(result.peakShare, undefined);
});

test('gantry bench --peak times the matrix products between the steps and compares the step with their median', async () => {
  const { spawnSync } = await import('node:child_process');
  const { gantryBin } = await import('./badInputCases.js');
  const bench = (...extra: string[]) => {
    const r = spawnSync(process.execPath, [gantryBin, 'bench', '--preset', 'seed-mlp', '--steps', '3', '--backend', 'onednn', '--threads', '1', '--json', ...extra], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const result = bench('--warmup', '1', '--peak');
  // one before each of the 3 timed steps (every step, below 10 of them) and one after the last
  assert.equal(result.peakRange.samples, 4);
  assert.ok(result.peakRange.min > 0 && result.peakRange.min <= result.peakGflopsPerSecond && result.peakGflopsPerSecond <= result.peakRange.max);
  assert.ok(Math.abs(result.peakShare - result.gflopsPerSecond / result.peakGflopsPerSecond) < 1e-12);
  // the probe's operands live through the steps but are not counted as the steps' growth
  assert.equal(result.numTensorsGrowth, 0);
  // the memory figure is training's: the probe's 48 MB (which took seed-mlp's run from about
  // 120 to 184 MB) are made after it is read
  const plain = bench('--warmup', '1');
  assert.equal(plain.peakRange, undefined);
  assert.ok(result.peakRssMb < plain.peakRssMb + 24, `with --peak ${result.peakRssMb} MB, without ${plain.peakRssMb} MB`);
  // without warm-up steps the first product waits for the first step: samples before steps 2
  // and 3, and after the last
  const cold = bench('--warmup', '0', '--peak');
  assert.equal(cold.peakRange.samples, 3);
  assert.equal(cold.numTensorsGrowth, 0);
});

test('a peak probe reports the median of its samples and needs one first', async () => {
  await selectBackend('onednn');
  const { MatmulPeakProbe } = await import('gantry-core/train/flops.js');
  const before = tf.memory().numTensors;
  const probe = new MatmulPeakProbe(64);
  assert.throws(() => probe.median(), /no samples taken yet/);
  for (let i = 0; i < 3; i++) assert.ok((await probe.sample()) > 0);
  assert.equal(probe.samples.length, 3);
  assert.equal(probe.median(), probe.samples.slice().sort((a, b) => a - b)[1]);
  probe.dispose();
  assert.equal(tf.memory().numTensors, before);
});

// The block's folded layer: upsample then conv1 (8x8 image, 8 to 6 channels), or conv2 then the
// pooling (8x8 image, 6 to 6 channels); each way 2 images * 8*8*6 outputs * 9*cin multiply-adds.
const foldedBlocks = [
  { kind: 'resBlockUp', input: [4, 4, 8], kernel: 'OnednnUpsampleConv2D', flops: 2 * 2 * 8 * 8 * 6 * 9 * 8 },
  { kind: 'resBlockDown', input: [8, 8, 4], kernel: 'OnednnConv2DAvgPool', flops: 2 * 2 * 8 * 8 * 6 * 9 * 6 },
] as const;

for (const block of foldedBlocks) {
  test(`a ${block.kind} counts the same convolution FLOPs with its resampling folded into a convolution as on the plain ops`, async () => {
    await selectBackend('onednn');
    const { Network } = await import('gantry-core/models/network.js');
    const { referenceNnOps, nnOps } = await import('gantry-core/models/nnOps.js');
    const net = new Network('Gfold', { input: [...block.input], layers: [{ kind: block.kind, filters: 6 }] }, 3, 4);
    // x is a variable too, so that every input gradient runs
    const x = tf.variable(tf.randomNormal([2, ...block.input], 0, 1, 'float32', 5));
    const vars = [x, ...net.trainable.map((v) => v.variable)];
    const stepOn = (ops: typeof referenceNnOps) => countFlops(() => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(net.apply(x, { training: true, ops })) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    }));
    const native = await stepOn(nnOps());
    const plain = await stepOn(referenceNnOps);
    // one kernel each way, each counted as the network's 3x3 layer
    for (const suffix of ['', 'GradInput', 'GradFilter']) {
      assert.deepEqual(native.byKernel[block.kernel + suffix], { calls: 1, flops: block.flops }, block.kernel + suffix);
    }
    // the same total as the plain ops' (the 4x4 filter is built outside the counted kernels)
    assert.equal(native.total, plain.total);
    tf.dispose(x);
    net.dispose();
  });
}
