import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { noiseBatch, randomLabels } from 'gantry-core/train/batches.js';
import { Gan } from 'gantry-core/train/gan.js';
import { generateImages01 } from 'gantry-core/train/images.js';
import { train } from '../src/train/loop.js';
import { openRun } from '../src/runFolder/checkpoints.js';
import { Stream } from 'gantry-core/util/random.js';
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
  const zero = await generateImages01(gan, 1, 7, 6, () => 0);
  const one = await generateImages01(gan, 1, 7, 6, () => 1);
  const again = await generateImages01(gan, 1, 7, 6, () => 0);
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
  // by class: each digit that was asked for is its own row, and the rows weigh up to the whole
  const byClass = right.classAccuracyByClass!;
  assert.equal(byClass.length, 10);
  const counts = Array.from({ length: 10 }, (_, k) => labels.filter((l) => l === k).length);
  const weighted = byClass.reduce((s: number, x, k) => s + (x ?? 0) * counts[k]!, 0) / 40;
  assert.ok(Math.abs(weighted - right.classAccuracy!) < 1e-9, `${weighted} vs ${right.classAccuracy}`);
  counts.forEach((m, k) => assert.equal(byClass[k] === null, m === 0, `class ${k}`));
  assert.ok(wrong.classAccuracyByClass!.every((x) => x === null || x <= 0.5));
});

test('accuracy by class counts each requested class on its own', async () => {
  const { accuracyByClass } = await import('../src/eval/evaluate.js');
  // asked 0,0,0,1,1,3 (none of 2); the classifier said 0,1,0,1,1,0
  assert.deepEqual(accuracyByClass([0, 1, 0, 1, 1, 0], [0, 0, 0, 1, 1, 3], 4), [2 / 3, 1, null, 0]);
});

test('ACGAN: D ends in 1 + classes logits and the auxiliary loss trains', async () => {
  const acgan = {
    ...config({
      auxClassifierWeight: 1,
      optimizerD: { kind: 'adam', learningRate: 0.005, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 },
      discriminator: { input: [8, 8, 1], layers: [
        { kind: 'conv2d', filters: 4, kernel: 4, stride: 2, padding: 'same' }, { kind: 'leakyRelu', alpha: 0.2 }, { kind: 'flatten' }, { kind: 'auxClassifier', classes: 2 },
      ] },
    }),
    numClasses: 2,
  };
  const gan = new Gan(acgan);
  // one fixed labelled batch, trained on again and again
  const set = tinyImages(8);
  const real = tf.tensor4d(set.pixels01.map((v) => 2 * v - 1), [8, 8, 8, 1]);
  const labels = tf.tensor1d(set.labels!, 'int32');
  const otherLabels = tf.tensor1d(set.labels!.map((l) => 1 - l), 'int32');
  const classLogits = () => tf.tidy(() => tf.slice(gan.D.apply(real, { training: false }), [0, 1], [-1, 2]));
  const classLoss = (y: tf.Tensor1D) => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 2), classLogits()).dataSync()[0]!);
  try {
    assert.deepEqual(tf.tidy(() => gan.D.apply(real, { training: false }).shape), [8, 3]);
    const before = { right: classLoss(labels), wrong: classLoss(otherLabels) };
    for (let k = 0; k < 40; k++) {
      const d = [{ real, realLabels: labels, z: noiseBatch(1, Stream.noiseD, k, 8, 8), fakeLabels: randomLabels(1, k, 8, 2), counter: k }];
      const g = { z: noiseBatch(1, Stream.noiseG, k, 8, 8), fakeLabels: randomLabels(1, 1000 + k, 8, 2), counter: k };
      await gan.trainStep(k, d, g, false);
      tf.dispose([d[0]!.z, d[0]!.fakeLabels, g.z, g.fakeLabels]);
    }
    const after = { right: classLoss(labels), wrong: classLoss(otherLabels) };
    // D's class logits learned the labels (only the auxiliary loss reaches them): the loss on the
    // true classes fell well below its start, the loss on the other classes rose
    assert.ok(after.right < 0.5 * before.right, `class loss ${before.right} -> ${after.right}`);
    assert.ok(after.wrong > before.wrong, `class loss on the other labels ${before.wrong} -> ${after.wrong}`);
    const predicted = tf.tidy(() => tf.argMax(classLogits(), 1).dataSync());
    assert.deepEqual([...predicted], [...set.labels!]);
  } finally {
    tf.dispose([real, labels, otherLabels]);
    gan.dispose();
  }
});

test('conditional training refuses unlabelled data, and a wrong class count', async () => {
  const unlabelled = { ...tinyImages(20), labels: undefined, numClasses: undefined };
  await assert.rejects(train({ config: config(), out: join(tempDir(), 'r'), data: unlabelled, quiet: true }), (e: unknown) => e instanceof UsageError && /needs labelled data/.test(e.message));
  await assert.rejects(train({ config: config({ numClasses: 5 }), out: join(tempDir(), 'r'), data: tinyImages(20), quiet: true }), (e: unknown) => e instanceof UsageError && /configured for 5 classes/.test(e.message));
});
