import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { generateImages01 } from '../src/train/images.js';
import { train } from '../src/train/loop.js';
import { openRun } from '../src/runFolder/checkpoints.js';
import { tempDir, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

const conditionalNets = {
  latentDim: 8,
  conditional: true,
  generator: { input: [8], layers: [
    { kind: 'labelConcat', classes: 2, embedding: 4 }, { kind: 'dense', units: 64 }, { kind: 'tanh' }, { kind: 'reshape', shape: [8, 8, 1] },
  ] },
  discriminator: { input: [8, 8, 1], layers: [
    { kind: 'conv2d', filters: 4, kernel: 4, stride: 2, padding: 'same' }, { kind: 'leakyRelu', alpha: 0.2 }, { kind: 'flatten' }, { kind: 'projection', classes: 2 },
  ] },
};

const config = (over: Record<string, unknown> = {}) =>
  resolveTrainConfig(JSON.parse(JSON.stringify({ ...conditionalNets, ...over })), { batchSize: 4, steps: 4, logEvery: 2, sampleEvery: 4, checkpointEvery: 4, sampleCount: 4, backend: 'cpu' });

test('a conditional GAN trains on labelled data, records its classes, and generates by class', async () => {
  const out = tempDir();
  const r = await train({ config: config(), out, data: tinyImages(20), quiet: true });
  assert.equal(r.config.numClasses, 2);
  r.gan.dispose();
  const { gan } = openRun(out);
  const zero = generateImages01(gan, 1, 7, 6, () => 0);
  const one = generateImages01(gan, 1, 7, 6, () => 1);
  const again = generateImages01(gan, 1, 7, 6, () => 0);
  assert.deepEqual(zero, again);
  assert.notDeepEqual(zero, one, 'the label has no effect on G');
  gan.dispose();
});

test('evaluation of class-conditional samples reports how many land in their requested class', async () => {
  const { evaluateSamples } = await import('../src/eval/evaluate.js');
  const { loadDataset } = await import('../src/data/load.js');
  process.env.GANTRY_CACHE_DIR ??= join(tempDir(), 'cache');
  const real = await loadDataset('mnist', { limit: 40 });
  const labels = real.labels!;
  const right = await evaluateSamples(real.pixels01, 40, { height: 28, width: 28, channels: 1 }, 'mnist', { requestedClasses: labels });
  const wrong = await evaluateSamples(real.pixels01, 40, { height: 28, width: 28, channels: 1 }, 'mnist', { requestedClasses: labels.map((l) => (l + 1) % 10) });
  assert.ok(right.classAccuracy! >= 0.95, `real digits asked for their own class: ${right.classAccuracy}`);
  assert.ok(wrong.classAccuracy! <= 0.05, `real digits asked for the next class: ${wrong.classAccuracy}`);
});

test('ACGAN: D ends in 1 + classes logits and the auxiliary loss trains', async () => {
  const acgan = config({
    auxClassifierWeight: 1,
    discriminator: { input: [8, 8, 1], layers: [
      { kind: 'conv2d', filters: 4, kernel: 4, stride: 2, padding: 'same' }, { kind: 'leakyRelu', alpha: 0.2 }, { kind: 'flatten' }, { kind: 'auxClassifier', classes: 2 },
    ] },
  });
  const r = await train({ config: acgan, out: tempDir(), data: tinyImages(20), quiet: true });
  assert.ok(r.gan.weightsFinite());
  r.gan.dispose();
});

test('conditional training refuses unlabelled data, and a wrong class count', async () => {
  const unlabelled = { ...tinyImages(20), labels: undefined, numClasses: undefined };
  await assert.rejects(train({ config: config(), out: join(tempDir(), 'r'), data: unlabelled, quiet: true }), (e: unknown) => e instanceof UsageError && /needs labelled data/.test(e.message));
  await assert.rejects(train({ config: config({ numClasses: 5 }), out: join(tempDir(), 'r'), data: tinyImages(20), quiet: true }), (e: unknown) => e instanceof UsageError && /configured for 5 classes/.test(e.message));
});
