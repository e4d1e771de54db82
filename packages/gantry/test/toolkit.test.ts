import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { learningRateFactor, resolveTrainConfig } from 'gantry-core/config.js';
import { crossEntropyWithTargets } from 'gantry-core/losses/adversarial.js';
import { gradientNormSquared, gradientPenalty } from 'gantry-core/losses/regularizers.js';
import { Network, type NetworkSpec } from 'gantry-core/models/network.js';
import { referenceNnOps, setNnOps } from 'gantry-core/models/nnOps.js';
import { adaObserve, diffAugment } from 'gantry-core/train/augment.js';
import { noiseBatch, RealBatches } from 'gantry-core/train/batches.js';
import { Gan } from 'gantry-core/train/gan.js';
import { train } from '../src/train/loop.js';
import { clipByGlobalNorm } from 'gantry-core/train/optimizer.js';
import { Rng, Stream } from 'gantry-core/util/random.js';
import { maxAbsDiff, snapshot, tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

/** Selects the onednn backend; false (the test skipped, cpu back) where it cannot load. */
async function onednnOrSkip(t: TestContext): Promise<boolean> {
  const { selectBackend } = await import('../src/backend.js');
  try {
    await selectBackend('onednn');
    return true;
  } catch (e) {
    t.skip(`onednn backend unavailable: ${(e as Error).message}`);
    await tf.setBackend('cpu');
    return false;
  }
}

const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

test('gradient penalty and R1 of a linear critic equal their definitions', () => {
  // D(x) = w . x + b has input gradient w everywhere: GP = (|w| - 1)^2, zero-centred GP = |w|^2, R1 = |w|^2 / 2
  const w = tf.tensor2d([[0.3], [-1.2], [0.5], [2.0]]);
  const critic = (x: tf.Tensor) => tf.add(tf.matMul(tf.reshape(x, [-1, 4]), w), 0.7);
  const real = tf.randomUniform([3, 2, 2, 1], 0, 1, 'float32', 1);
  const fake = tf.randomUniform([3, 2, 2, 1], 0, 1, 'float32', 2);
  const norm = Math.hypot(0.3, -1.2, 0.5, 2.0);
  const eps = new Float32Array([0.1, 0.5, 0.9]);
  assert.ok(Math.abs(value(gradientPenalty(critic, real, fake, eps, 1)) - (norm - 1) ** 2) < 1e-5);
  assert.ok(Math.abs(value(gradientPenalty(critic, real, fake, eps, 0)) - norm ** 2) < 1e-4);
  assert.ok(Math.abs(value(gradientNormSquared(critic, real)) - norm ** 2 / 2) < 1e-4);
  tf.dispose([w, real, fake]);
});

test("the gradient penalty's gradient matches a finite-difference estimate (conv, leaky ReLU, dense)", () => {
  const net = new Network('Dgp', {
    input: [4, 4, 1],
    layers: [
      { kind: 'conv2d', filters: 2, kernel: 3, stride: 1, padding: 'same' },
      { kind: 'leakyRelu', alpha: 0.2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 1 },
    ],
  }, 3, 9);
  const real = tf.randomUniform([2, 4, 4, 1], -1, 1, 'float32', 3);
  const fake = tf.randomUniform([2, 4, 4, 1], -1, 1, 'float32', 4);
  const eps = new Float32Array([0.25, 0.75]);
  const critic = (x: tf.Tensor) => net.apply(x, { training: true });
  const penalty = () => gradientPenalty(critic, real, fake, eps, 1);
  const kernel = net.trainable[0].variable;
  const { grads } = tf.variableGrads(penalty, [kernel]);
  const analytic = grads[kernel.name].dataSync();
  const base = kernel.dataSync().slice();
  const h = 1e-2;
  for (const i of [0, 5, 11, 17]) {
    const at = (delta: number) => {
      const shifted = base.slice();
      shifted[i] += delta;
      kernel.assign(tf.tensor(shifted, kernel.shape));
      return value(penalty());
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(numeric - analytic[i]) < 2e-2 * Math.max(1, Math.abs(numeric)), `weight ${i}: numeric ${numeric}, analytic ${analytic[i]}`);
  }
  tf.dispose([real, fake, grads[kernel.name]]);
  net.dispose();
});

test('cross-entropy with targets equals the smoothed-label formula', () => {
  const x = [2, -1, 0.5];
  const t = [0.9, 0.9, 0];
  const softplus = (v: number) => Math.log1p(Math.exp(v));
  const want = x.reduce((a, xi, i) => a + t[i] * softplus(-xi) + (1 - t[i]) * softplus(xi), 0) / 3;
  assert.ok(Math.abs(value(crossEntropyWithTargets(tf.tensor1d(x), tf.tensor1d(t))) - want) < 1e-6);
});

test('clipping by global norm caps the joint norm and keeps the direction', () => {
  const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
  const clipped = clipByGlobalNorm(g, 1);
  const values = clipped.flatMap((c) => Array.from(c.dataSync()));
  assert.deepEqual(values.map((v) => Number(v.toFixed(6))), [0.6, 0, 0, 0.8]);
  const untouched = clipByGlobalNorm(g, 10).flatMap((c) => Array.from(c.dataSync()));
  assert.deepEqual(untouched, [3, 0, 0, 4]);
});

test('learning-rate schedules: warm-up, then linear or cosine fall to the end scale', () => {
  assert.equal(learningRateFactor({ kind: 'constant' }, 50, 100), 1);
  const lin = { kind: 'linear' as const, warmupSteps: 10, endScale: 0.1 };
  assert.ok(Math.abs(learningRateFactor(lin, 0, 110) - 0.1) < 1e-12);
  assert.equal(learningRateFactor(lin, 10, 110), 1);
  assert.ok(Math.abs(learningRateFactor(lin, 60, 110) - 0.55) < 1e-12);
  const cos = { kind: 'cosine' as const, warmupSteps: 0, endScale: 0 };
  assert.ok(Math.abs(learningRateFactor(cos, 50, 100) - 0.5) < 1e-12);
  assert.ok(learningRateFactor(cos, 100, 100) < 1e-12);
});

test('DiffAugment: translation shifts content, cutout zeroes a square, gradients reach the input', () => {
  const img = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => (i % 64) + 1), [2, 8, 8, 1]);
  const moved = diffAugment(img, ['translation'], new Rng(1, Stream.augment, 0)).arraySync() as number[][][][];
  const src = img.arraySync() as number[][][][];
  for (let n = 0; n < 2; n++) {
    // find the shift from one pixel that stays inside, then check the whole overlap
    let found = false;
    for (let dy = -1; dy <= 1 && !found; dy++) {
      for (let dx = -1; dx <= 1 && !found; dx++) {
        let ok = true;
        for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
          const si = i + dy;
          const sj = j + dx;
          const want = si >= 0 && si < 8 && sj >= 0 && sj < 8 ? src[n][si][sj][0] : 0;
          if (moved[n][i][j][0] !== want) ok = false;
        }
        found = ok;
      }
    }
    assert.ok(found, `image ${n} is not a shifted copy`);
  }
  const cut = diffAugment(img, ['cutout'], new Rng(2, Stream.augment, 0)).dataSync();
  const zeros = Array.from(cut).filter((v) => v === 0).length;
  assert.ok(zeros > 0 && zeros <= 2 * 16, `${zeros} zeros`);
  const g = tf.grad((x: tf.Tensor) => tf.sum(diffAugment(x as tf.Tensor4D, ['color', 'translation', 'cutout'], new Rng(3, Stream.augment, 0))))(img);
  assert.deepEqual(g.shape, [2, 8, 8, 1]);
  assert.ok(Array.from(g.dataSync()).some((v) => v !== 0));
  tf.dispose([img, g]);
});

test('DiffAugment\'s translation on onednn gives the gather\'s bits, value and gradient', async (t) => {
  if (!(await onednnOrSkip(t))) return;
  const { nnOps, referenceNnOps } = await import('gantry-core/models/nnOps.js');
  assert.equal(nnOps().name, 'onednn-fused');
  const x = tf.tensor4d(new Rng(5, 1, 0).fillNormal(new Float32Array(3 * 8 * 6 * 2)), [3, 8, 6, 2]);
  const probe = tf.tensor4d(new Rng(6, 1, 0).fillNormal(new Float32Array(3 * 8 * 6 * 2)), [3, 8, 6, 2]);
  // inside the image both ways, none, and past the edge
  const shifts = Int32Array.from([2, -1, 0, 0, -9, 3]);
  const run = (ops: typeof referenceNnOps) => {
    const f = (a: tf.Tensor) => ops.translate(a as tf.Tensor4D, shifts);
    const y = f(x);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), probe)))(x);
    const out = [Array.from(y.dataSync()), Array.from(g.dataSync())];
    tf.dispose([y, g]);
    return out;
  };
  const [fusedY, fusedG] = run(nnOps());
  const [plainY, plainG] = run(referenceNnOps);
  assert.deepEqual(fusedY, plainY);
  // equal as numbers (a gradient that is -0 in one may be +0 in the other)
  fusedG!.forEach((v, k) => assert.ok(v === plainG![k], `gradient ${k}: ${v} against ${plainG![k]}`));
  // image 0, pixel (0, 1): the source is (2, 0)
  assert.equal(fusedY![(0 * 6 + 1) * 2], x.arraySync()[0]![2]![0]![0]);
  // image 2 moved 9 rows on an 8-row image: all zeros
  assert.ok(fusedY!.slice(2 * 96).every((v) => v === 0));
  tf.dispose([x, probe]);
  await tf.setBackend('cpu');
});

test('DiffAugment\'s cutout on onednn gives the mask product\'s bits, value and gradient', async (t) => {
  if (!(await onednnOrSkip(t))) return;
  const { nnOps, referenceNnOps } = await import('gantry-core/models/nnOps.js');
  assert.equal(nnOps().name, 'onednn-fused');
  const x = tf.tensor4d(new Rng(7, 1, 0).fillNormal(new Float32Array(4 * 8 * 6 * 2)), [4, 8, 6, 2]);
  const probe = tf.tensor4d(new Rng(8, 1, 0).fillNormal(new Float32Array(4 * 8 * 6 * 2)), [4, 8, 6, 2]);
  // inside, over two edges, empty, past the image
  const boxes = Int32Array.from([2, 5, 1, 4, -2, 3, 4, 9, 0, 0, 0, 6, 9, 12, 0, 6]);
  const bits = (v: tf.Tensor) => Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer));
  const run = (ops: typeof referenceNnOps) => {
    const f = (a: tf.Tensor) => ops.cutout(a as tf.Tensor4D, boxes);
    const y = f(x);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), probe)))(x);
    const out = [bits(y), bits(g)];
    tf.dispose([y, g]);
    return out;
  };
  const [fusedY, fusedG] = run(nnOps());
  const [plainY, plainG] = run(referenceNnOps);
  assert.deepEqual(fusedY, plainY);
  assert.deepEqual(fusedG, plainG);
  const y = new Float32Array(new Uint32Array(fusedY!).buffer);
  // image 0: rows 2..4, columns 1..3 are zero, the pixel beside them is not
  assert.ok(y[(0 * 8 + 2) * 6 * 2 + 1 * 2] === 0, 'inside the box');
  assert.equal(y[(0 * 8 + 2) * 6 * 2], x.dataSync()[(0 * 8 + 2) * 6 * 2]);
  // images 2 and 3 are untouched
  const xs = x.dataSync();
  for (let k = 2 * 96; k < 4 * 96; k++) assert.equal(y[k], xs[k]);
  tf.dispose([x, probe]);
  await tf.setBackend('cpu');
});

test('n_critic: dSteps D updates per G update', async () => {
  const config = tinyConfig({ dSteps: 3 });
  const gan = new Gan(config);
  const batches = new RealBatches(tinyImages(), config.batchSize, config.seed, config.pixelRange);
  const d = [0, 1, 2].map((k) => ({ real: batches.batch(k).images, z: noiseBatch(0, Stream.noiseD, k, 4, 8), counter: k }));
  const g = { z: noiseBatch(0, Stream.noiseG, 0, 4, 8), counter: 0 };
  await gan.trainStep(0, d, g, false);
  assert.equal(gan.optD.iterations, 3);
  assert.equal(gan.optG.iterations, 1);
  tf.dispose([...d.flatMap((b) => [b.real, b.z]), g.z]);
  gan.dispose();
});

test("weight clipping keeps every D weight in [-c, c]; EMA follows G by its decay", () => {
  const config = tinyConfig({ weightClip: 0.01, ema: { decay: 0.5, startStep: 0 }, loss: 'wasserstein' });
  const gan = new Gan(config);
  const ema0 = snapshot(gan.Gema!.trainable);
  const real = tf.randomUniform([4, 8, 8, 1], -1, 1, 'float32', 5);
  const z = noiseBatch(0, Stream.noiseD, 0, 4, 8);
  gan.discriminatorStep(0, { real, z, counter: 0 }, false);
  for (const v of gan.D.trainable) assert.ok(Array.from(v.variable.dataSync()).every((x) => Math.abs(x) <= 0.01 + 1e-9), v.name);
  gan.generatorStep(0, { z, counter: 0 }, false);
  gan.Gema!.trainable.forEach((e, i) => {
    const g = gan.G.trainable[i].variable.dataSync();
    const before = ema0.get(e.name)!;
    const now = e.variable.dataSync();
    for (let k = 0; k < now.length; k++) assert.ok(Math.abs(now[k] - (0.5 * before[k] + 0.5 * g[k])) < 1e-6);
  });
  tf.dispose([real, z]);
  gan.dispose();
});

test('on onednn, the EMA of G is one native update with the tf ops\' bits', async (t) => {
  if (!(await onednnOrSkip(t))) return;
  const config = tinyConfig({ ema: { decay: 0.9, startStep: 0 } });
  const gan = new Gan(config);
  const z = noiseBatch(0, Stream.noiseG, 0, 4, 8);
  gan.generatorStep(0, { z, counter: 0 }, false); // the averages move away from G's first weights
  const before = snapshot(gan.Gema!.trainable);
  const { kernels } = await tf.profile(() => { gan.generatorStep(1, { z, counter: 1 }, false); });
  // the same step without an EMA runs the same kernels: the update is not a kernel at all
  // (with tf ops it would add two products and a sum per variable)
  const plain = new Gan(tinyConfig());
  plain.generatorStep(0, { z, counter: 0 }, false);
  const without = await tf.profile(() => { plain.generatorStep(1, { z, counter: 1 }, false); });
  plain.dispose();
  assert.deepEqual(kernels.map((k) => k.name), without.kernels.map((k) => k.name));
  const d = Math.fround(0.9);
  const complement = Math.fround(1 - 0.9);
  gan.Gema!.trainable.forEach((e, i) => {
    const g = gan.G.trainable[i]!.variable.dataSync();
    const was = before.get(e.name)!;
    const now = e.variable.dataSync();
    for (let k = 0; k < now.length; k++) {
      const want = Math.fround(Math.fround(was[k]! * d) + Math.fround(g[k]! * complement));
      assert.equal(now[k], want, `${e.name}[${k}]`);
    }
  });
  tf.dispose(z);
  gan.dispose();
  await tf.setBackend('cpu');
});

test('a run with GP, n_critic, EMA, DiffAugment, instance noise and a schedule resumes exactly', async () => {
  const features = {
    steps: 6, checkpointEvery: 3, dSteps: 2, regularizer: { kind: 'gradient-penalty' as const, weight: 10, center: 1 as const, every: 1 },
    ema: { decay: 0.9, startStep: 1 }, augment: ['color' as const, 'translation' as const, 'cutout' as const],
    instanceNoise: { std: 0.1, annealSteps: 4 }, lrSchedule: { kind: 'cosine' as const, warmupSteps: 2, endScale: 0.1 }, clipGradNorm: 5,
  };
  const data = tinyImages(40);
  const whole = await train({ config: tinyConfig(features), out: tempDir(), data, quiet: true });
  const parts = tempDir();
  (await train({ config: tinyConfig({ ...features, steps: 3 }), out: parts, data, quiet: true })).gan.dispose();
  const resumed = await train({ config: tinyConfig(features), out: parts, data, quiet: true, resume: true });
  const all = (gan: Gan) => snapshot(Object.values(gan.namedState()).flat());
  assert.ok(Object.keys(whole.gan.namedState()).includes('generatorEma'));
  assert.equal(maxAbsDiff(all(whole.gan), all(resumed.gan)), 0);
  assert.ok(whole.gan.weightsFinite());
  whole.gan.dispose();
  resumed.gan.dispose();
});

/** Trains `nets` on onednn for 6 steps whole and as 3 + 3 with a resume: the weights must agree bit for bit. */
async function assertResumesExactlyOnOnednn(nets: Record<string, unknown>) {
  const config = (steps: number) => resolveTrainConfig(JSON.parse(JSON.stringify(nets)) as Record<string, unknown>, {
    batchSize: 4, steps, logEvery: 2, sampleEvery: 3, checkpointEvery: 3, sampleCount: 4, backend: 'onednn',
  });
  const data = tinyImages(24);
  const whole = await train({ config: config(6), out: tempDir(), data, quiet: true });
  const parts = tempDir();
  (await train({ config: config(3), out: parts, data, quiet: true })).gan.dispose();
  const resumed = await train({ config: config(6), out: parts, data, quiet: true, resume: true });
  const all = (gan: Gan) => snapshot(Object.values(gan.namedState()).flat());
  assert.equal(maxAbsDiff(all(whole.gan), all(resumed.gan)), 0);
  assert.ok(whole.gan.weightsFinite());
  // the run did move the weights: a run of 3 steps ends elsewhere
  const short = await train({ config: config(3), out: tempDir(), data, quiet: true });
  assert.ok(maxAbsDiff(all(whole.gan), all(short.gan)) > 0);
  for (const r of [whole, resumed, short]) r.gan.dispose();
  await tf.setBackend('cpu');
}

test('on onednn, a run whose 3x3 layers take the Winograd kernels resumes exactly', async (t) => {
  if (!(await onednnOrSkip(t))) return;
  // 64-channel 3x3 stride-1 layers at 8x8: on AVX-512 CPUs every pass of them (forward, input and
  // filter gradients) runs on oneDNN's Winograd kernels, the rest on the direct ones
  const nets = {
    latentDim: 8,
    generator: {
      input: [8],
      layers: [
        { kind: 'dense', units: 8 * 8 * 64 },
        { kind: 'reshape', shape: [8, 8, 64] },
        { kind: 'conv2d', filters: 64, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'relu' },
        { kind: 'conv2d', filters: 1, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [8, 8, 1],
      layers: [
        { kind: 'conv2d', filters: 64, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'leakyRelu', alpha: 0.2 },
        { kind: 'conv2d', filters: 64, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'leakyRelu', alpha: 0.2 },
        { kind: 'flatten' },
        { kind: 'dense', units: 1 },
      ],
    },
  };
  await assertResumesExactlyOnOnednn(nets);
});

test('on onednn, a residual run whose blocks fold their resampling into the convolutions resumes exactly', async (t) => {
  if (!(await onednnOrSkip(t))) return;
  // an up-block (upsample + 3x3 as one transposed convolution) and spectrally normalised
  // down-blocks (3x3 + pooling as one strided convolution), as in sngan64
  await assertResumesExactlyOnOnednn({
    latentDim: 8,
    generator: {
      input: [8],
      layers: [
        { kind: 'dense', units: 4 * 4 * 16 },
        { kind: 'reshape', shape: [4, 4, 16] },
        { kind: 'resBlockUp', filters: 8 },
        { kind: 'conv2d', filters: 1, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [8, 8, 1],
      layers: [
        { kind: 'resBlockDown', filters: 8, preactivation: false, spectralNorm: true },
        { kind: 'resBlockDown', filters: 16, spectralNorm: true },
        { kind: 'relu' },
        { kind: 'globalSumPool' },
        { kind: 'dense', units: 1, spectralNorm: true },
      ],
    },
  });
});

test('the gradient penalty has the same gradient on the onednn backend as on cpu', async (t) => {
  const { selectBackend } = await import('../src/backend.js');
  const gradOn = async (backend: 'cpu' | 'onednn') => {
    await selectBackend(backend);
    // the ops the GAN step uses whenever a regularizer needs second derivatives
    setNnOps(referenceNnOps);
    const net = new Network('Dgp2', {
      input: [6, 6, 1],
      layers: [
        { kind: 'conv2d', filters: 3, kernel: 4, stride: 2, padding: 'same' },
        { kind: 'leakyRelu', alpha: 0.2 },
        { kind: 'flatten' },
        { kind: 'dense', units: 1 },
      ],
    }, 5, 9);
    const real = tf.tensor4d(new Rng(1, 1, 0).fillUniform(new Float32Array(3 * 36), -1, 1), [3, 6, 6, 1]);
    const fake = tf.tensor4d(new Rng(1, 1, 1).fillUniform(new Float32Array(3 * 36), -1, 1), [3, 6, 6, 1]);
    const vars = net.trainable.map((v) => v.variable);
    const { grads } = tf.variableGrads(() => gradientPenalty((x) => net.apply(x, { training: true }), real, fake, new Float32Array([0.2, 0.5, 0.8]), 1), vars);
    // D's last bias does not change D's input gradient: it has no gradient here
    const out = vars.map((v) => Array.from(grads[v.name]?.dataSync() ?? new Float32Array(v.size)));
    tf.dispose([real, fake, ...Object.values(grads)]);
    net.dispose();
    return out;
  };
  let onednn: number[][];
  try {
    onednn = await gradOn('onednn');
  } catch (e) {
    t.skip(`onednn backend unavailable: ${(e as Error).message}`);
    await tf.setBackend('cpu');
    return;
  }
  const cpu = await gradOn('cpu');
  cpu.forEach((g, i) => g.forEach((x, k) => assert.ok(Math.abs(x - onednn[i][k]) <= 1e-3 * Math.max(1, Math.abs(x)), `var ${i}[${k}]: cpu ${x}, onednn ${onednn[i][k]}`)));
  await tf.setBackend('cpu');
});

test('ADA: p moves by batch * interval / speedImages toward less or more augmentation, once per interval', () => {
  const settings = { target: 0.6, interval: 4, speedImages: 1000, initialP: 0 };
  let s = { p: 0.5, signalSum: 0, signalSteps: 0 };
  // three steps of an overfitting D (r_t = 0.9): no change until the interval is complete
  for (let i = 0; i < 3; i++) s = adaObserve(s, settings, 0.9, 10);
  assert.equal(s.p, 0.5);
  assert.equal(s.signalSteps, 3);
  s = adaObserve(s, settings, 0.9, 10);
  assert.ok(Math.abs(s.p - (0.5 + 40 / 1000)) < 1e-12, `p ${s.p}`);
  assert.deepEqual([s.signalSum, s.signalSteps], [0, 0]);
  // a D below the target lowers p; p stays in [0, 1]
  for (let i = 0; i < 4; i++) s = adaObserve(s, settings, 0.2, 10);
  assert.ok(Math.abs(s.p - 0.5) < 1e-12);
  let low = { p: 0.01, signalSum: 0, signalSteps: 0 };
  for (let i = 0; i < 4; i++) low = adaObserve(low, settings, -1, 10);
  assert.equal(low.p, 0);
  let high = { p: 0.99, signalSum: 0, signalSteps: 0 };
  for (let i = 0; i < 4; i++) high = adaObserve(high, settings, 1, 10);
  assert.equal(high.p, 1);
});

test('ADA: with probability p each image is augmented or left as it was', () => {
  const x = tf.randomUniform([64, 8, 8, 1], -1, 1, 'float32', 11);
  const ops = ['color', 'translation', 'cutout'] as const;
  const changed = (p: number) => {
    const y = diffAugment(x as tf.Tensor4D, ops, new Rng(3, Stream.augment, 0), p);
    const a = x.dataSync();
    const b = y.dataSync();
    let n = 0;
    for (let i = 0; i < 64; i++) {
      let same = true;
      // (y - mean) * 1 + mean may differ from y in the last bit
      for (let k = 0; k < 64; k++) if (Math.abs(a[i * 64 + k]! - b[i * 64 + k]!) > 1e-6) same = false;
      if (!same) n++;
    }
    if (y !== x) y.dispose();
    return n;
  };
  assert.equal(changed(0), 0);
  assert.equal(changed(1), 64);
  const half = changed(0.5);
  // an image is left alone only when all three ops skip it: 1/8 at p = 0.5
  assert.ok(half > 40 && half < 64, `${half} of 64 changed at p = 0.5`);
  // p = 1 is plain DiffAugment: the same images as without p
  const a = diffAugment(x as tf.Tensor4D, ops, new Rng(3, Stream.augment, 0), 1);
  const b = diffAugment(x as tf.Tensor4D, ops, new Rng(3, Stream.augment, 0));
  assert.equal(maxAbsDiff(new Map([['a', a.dataSync() as Float32Array]]), new Map([['a', b.dataSync() as Float32Array]])), 0);
  tf.dispose([x, a, b]);
});

test('ADA needs augment ops and sane settings', () => {
  assert.throws(() => resolveTrainConfig({ ada: { target: 0.6 } }, {}), /give augment too/);
  assert.throws(() => resolveTrainConfig({ augment: ['translation'], ada: { interval: 0 } }, {}), /ada.interval must be an integer of at least 1/);
  assert.throws(() => resolveTrainConfig({ augment: ['translation'], ada: { speed: 5 } }, {}), /speed/);
  const c = resolveTrainConfig({ augment: ['translation'], ada: {} }, {});
  assert.deepEqual(c.ada, { target: 0.6, interval: 4, speedImages: 100000, initialP: 0 });
});

test('an ADA run logs p, keeps it in [0, 1], and resumes exactly (p and its signal are checkpointed)', async () => {
  const features = {
    steps: 6, checkpointEvery: 3, logEvery: 1, augment: ['translation' as const, 'cutout' as const],
    ada: { target: 0.6, interval: 2, speedImages: 40, initialP: 0.3 },
  };
  const data = tinyImages(40);
  const out = tempDir();
  const whole = await train({ config: tinyConfig(features), out, data, quiet: true });
  const { readFileSync } = await import('node:fs');
  const records = readFileSync(`${out}/metrics.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'augment/p' in r);
  assert.equal(records.length, 6);
  const ps = records.map((r) => r['augment/p'] as number);
  assert.ok(ps.every((p) => p >= 0 && p <= 1));
  // p changes only after every second step, by batch * 2 / 40 each time
  const batch = tinyConfig(features).batchSize;
  assert.equal(ps[0], 0.3);
  assert.ok(Math.abs(Math.abs(ps[1]! - 0.3) - Math.min(0.3, (batch * 2) / 40)) < 1e-9 || ps[1] === 1, `p ${ps.join(' ')}`);
  const parts = tempDir();
  (await train({ config: tinyConfig({ ...features, steps: 3 }), out: parts, data, quiet: true })).gan.dispose();
  const resumed = await train({ config: tinyConfig(features), out: parts, data, quiet: true, resume: true });
  const all = (gan: Gan) => snapshot(Object.values(gan.namedState()).flat());
  assert.equal(maxAbsDiff(all(whole.gan), all(resumed.gan)), 0);
  assert.deepEqual(resumed.gan.ada, whole.gan.ada);
  whole.gan.dispose();
  resumed.gan.dispose();
});

test("RaGAN's G step reads D on a real batch and still changes only G", async () => {
  const config = tinyConfig({ loss: 'relativistic-average' });
  const gan = new Gan(config);
  const real = tf.randomUniform([4, 8, 8, 1], -1, 1, 'float32', 5);
  const d = [{ real, z: noiseBatch(0, Stream.noiseD, 0, 4, 8), counter: 0 }];
  const g = { z: noiseBatch(0, Stream.noiseG, 0, 4, 8), counter: 0 };
  const dBefore = snapshot(gan.D.trainable);
  gan.generatorStep(0, { ...g, real, realCounter: 0 }, false);
  assert.equal(maxAbsDiff(snapshot(gan.D.trainable), dBefore), 0);
  assert.throws(() => gan.generatorStep(1, g, false), /needs a real batch/);
  const stats = await gan.trainStep(1, d, g, true);
  assert.ok(stats !== null && Number.isFinite(stats.lossG) && Number.isFinite(stats.lossD));
  tf.dispose([real, d[0]!.z, g.z]);
  gan.dispose();
});

test('a regularized D step on onednn uses the plain ops for D only, leaves the installed ops alone, and matches cpu', async (t) => {
  const { selectBackend } = await import('../src/backend.js');
  const { nnOps } = await import('gantry-core/models/nnOps.js');
  // batchnorm in D: the fused batchnorm's gradient cannot be differentiated again
  const discriminator = {
    input: [8, 8, 1],
    layers: [
      { kind: 'conv2d' as const, filters: 4, kernel: 4, stride: 2, padding: 'same' as const },
      { kind: 'batchNorm' as const },
      { kind: 'leakyRelu' as const, alpha: 0.2 },
      { kind: 'flatten' as const },
      { kind: 'dense' as const, units: 1 },
    ],
  };
  // plain SGD: the weight change is the gradient itself (Adam's first step is about lr * sign(g))
  const config = tinyConfig({ discriminator, optimizerD: { kind: 'sgd', learningRate: 0.1 }, loss: 'wasserstein', regularizer: { kind: 'gradient-penalty', weight: 10, center: 1, every: 1 } });
  const stepOn = async (backend: 'cpu' | 'onednn') => {
    await selectBackend(backend);
    const installed = nnOps();
    const gan = new Gan(config);
    const real = tf.tensor4d(new Rng(2, 1, 0).fillUniform(new Float32Array(4 * 64), -1, 1), [4, 8, 8, 1]);
    const z = noiseBatch(0, Stream.noiseD, 0, 4, 8);
    const stats = gan.discriminatorStep(0, { real, z, counter: 0 }, true);
    assert.equal(nnOps(), installed, 'the installed layer ops were swapped');
    const d = snapshot(gan.D.trainable);
    tf.dispose([real, z]);
    gan.dispose();
    return { d, penalty: stats!.penalty!, installed: installed.name };
  };
  if (!(await onednnOrSkip(t))) return;
  const onednn = await stepOn('onednn');
  assert.equal(onednn.installed, 'onednn-fused');
  const cpu = await stepOn('cpu');
  assert.ok(Math.abs(cpu.penalty - onednn.penalty) <= 1e-4 * Math.max(1, cpu.penalty), `penalty cpu ${cpu.penalty}, onednn ${onednn.penalty}`);
  assert.ok(maxAbsDiff(cpu.d, onednn.d) < 1e-4, `D weights differ by ${maxAbsDiff(cpu.d, onednn.d)}`);
  await tf.setBackend('cpu');
});

test('on onednn, a convolution or batchnorm and the relu or leaky relu after it run as one kernel, with the plain ops\' values and gradients', async (t) => {
  const { nnOps } = await import('gantry-core/models/nnOps.js');
  if (!(await onednnOrSkip(t))) return;
  const networks: { spec: NetworkSpec; input: number[]; relu: number; leakyRelu: number }[] = [
    {
      // the pairs with a bias fuse (first conv, the block's first conv, the 3x3 conv); the biasless
      // 1x1 conv and the block's pre-activation keep their activation kernels
      spec: {
        input: [8, 8, 3],
        layers: [
          { kind: 'conv2d', filters: 16, kernel: 3, stride: 2, padding: 'same' },
          { kind: 'leakyRelu', alpha: 0.2 },
          { kind: 'resBlockDown', filters: 8 },
          { kind: 'conv2d', filters: 6, kernel: 3, stride: 1, padding: 'same' },
          { kind: 'relu' },
          { kind: 'conv2d', filters: 4, kernel: 1, stride: 1, padding: 'valid', bias: false },
          { kind: 'leakyRelu', alpha: 0.1 },
          { kind: 'flatten' },
          { kind: 'dense', units: 1 },
        ],
      },
      input: [3, 8, 8, 3], relu: 1, leakyRelu: 1,
    },
    {
      // a generator: every batchnorm, the block's two included, takes its activation in
      spec: {
        input: [5],
        layers: [
          { kind: 'dense', units: 2 * 2 * 8 },
          { kind: 'reshape', shape: [2, 2, 8] },
          { kind: 'batchNorm' },
          { kind: 'relu' },
          { kind: 'resBlockUp', filters: 6 },
          { kind: 'batchNorm' },
          { kind: 'leakyRelu', alpha: 0.2 },
          { kind: 'conv2d', filters: 3, kernel: 3, stride: 1, padding: 'same' },
          { kind: 'tanh' },
        ],
      },
      input: [4, 5], relu: 0, leakyRelu: 0,
    },
  ];
  for (const [n, c] of networks.entries()) {
    const net = new Network(`Nfuse${n}`, c.spec, 3, 4);
    const size = c.input.reduce((a, b) => a * b, 1);
    const x = tf.tensor(new Rng(7, 1, n).fillNormal(new Float32Array(size)), c.input);
    const vars = net.trainable.map((v) => v.variable);
    const run = (ops: typeof referenceNnOps) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, { training: true, ops }))) as tf.Scalar, vars);
      const out = [value.dataSync()[0], ...vars.map((v) => Array.from(grads[v.name].dataSync()))] as const;
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const fusedOps = nnOps();
    assert.equal(fusedOps.name, 'onednn-fused');
    const [fusedLoss, ...fusedGrads] = run(fusedOps);
    const [plainLoss, ...plainGrads] = run(referenceNnOps);
    assert.ok(Math.abs(fusedLoss - plainLoss) <= 1e-5 * Math.abs(plainLoss), `network ${n}: loss ${fusedLoss} against ${plainLoss}`);
    plainGrads.forEach((g, i) => {
      // a bias right before a batchnorm has a gradient of zero up to rounding (1e-7 to 1e-6,
      // depending on the order of the sums): both sides must stay that small
      const largest = Math.max(...g.map(Math.abs));
      const tolerance = largest < 1e-5 ? 1e-5 : 1e-4 * Math.max(1e-2, largest);
      g.forEach((v, k) => assert.ok(Math.abs(v - fusedGrads[i][k]) <= tolerance, `${net.trainable[i].name}[${k}]: ${fusedGrads[i][k]} against ${v}`));
    });
    const { kernels } = await tf.profile(() => tf.tidy(() => { net.apply(x, { training: true }); }));
    const names = kernels.map((k) => k.name);
    assert.equal(names.filter((k) => k === 'LeakyRelu').length, c.leakyRelu, names.join(' '));
    assert.equal(names.filter((k) => k === 'Relu').length, c.relu, names.join(' '));
    // sampling (batchnorm with its running statistics) gives the plain ops' images too
    const sampled = tf.tidy(() => net.apply(x, { training: false }).dataSync());
    const plainSampled = tf.tidy(() => net.apply(x, { training: false, ops: referenceNnOps }).dataSync());
    sampled.forEach((v, k) => assert.ok(Math.abs(v - plainSampled[k]) <= 1e-5 * Math.max(1, Math.abs(v))));
    tf.dispose(x);
    net.dispose();
  }
  await tf.setBackend('cpu');
});
