import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { bytesToPixels01 } from 'gantry-core/data/bytePixels.js';
import { RealBatches, noiseBatch, randomLabels } from 'gantry-core/train/batches.js';
import { RandomRealBatch, disposeStepInputs, stepInputs, type StepInputs } from 'gantry-core/train/stepInputs.js';
import { Stream } from 'gantry-core/util/random.js';
import { tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

const gantryBin = fileURLToPath(new URL('../../bin/gantry.js', import.meta.url));
const settings = { seed: 3, batchSize: 4, latentDim: 8, dSteps: 2, conditional: true, numClasses: 3 };
const values = (t: tf.Tensor | undefined) => (t ? Array.from(t.dataSync()) : undefined);
/** Every number of a step's inputs, and its counters. */
const contents = (s: StepInputs) => ({
  d: s.d.map((b) => ({ real: values(b.real), realLabels: values(b.realLabels), z: values(b.z), fakeLabels: values(b.fakeLabels), counter: b.counter })),
  g: { z: values(s.g.z), fakeLabels: values(s.g.fakeLabels), counter: s.g.counter },
});

test('step s: D update k takes real batch and D noise s * dSteps + k and the even class counters, the G update noise s and an odd one', () => {
  const batches = new RealBatches(tinyImages(20), 4, settings.seed, '-1,1');
  const step = 7;
  const inputs = stepInputs(settings, step, batches);
  assert.equal(inputs.d.length, 2);
  inputs.d.forEach((b, k) => {
    const index = step * 2 + k;
    const real = batches.batch(index, true);
    const z = noiseBatch(3, Stream.noiseD, index, 4, 8);
    const fake = randomLabels(3, 2 * index, 4, 3);
    assert.equal(b.counter, index);
    assert.deepEqual(values(b.real), values(real.images));
    assert.deepEqual(values(b.realLabels), values(real.labels));
    assert.deepEqual(values(b.z), values(z));
    assert.deepEqual(values(b.fakeLabels), values(fake));
    tf.dispose([real.images, real.labels!, z, fake]);
  });
  const z = noiseBatch(3, Stream.noiseG, step, 4, 8);
  const fake = randomLabels(3, 2 * step + 1, 4, 3);
  assert.equal(inputs.g.counter, step);
  assert.deepEqual(values(inputs.g.z), values(z));
  assert.deepEqual(values(inputs.g.fakeLabels), values(fake));
  tf.dispose([z, fake]);
  disposeStepInputs(inputs);
});

test('the inputs of a step do not depend on which steps came before (a resumed run sees the same)', () => {
  const batches = new RealBatches(tinyImages(20), 4, settings.seed, '0,1');
  const first = stepInputs(settings, 5, batches);
  const expected = contents(first);
  disposeStepInputs(first);
  // another epoch's batches in between (the source's cached order changes), then step 5 again
  for (const s of [40, 2]) disposeStepInputs(stepInputs(settings, s, batches));
  const again = stepInputs(settings, 5, new RealBatches(tinyImages(20), 4, settings.seed, '0,1'));
  assert.deepEqual(contents(again), expected);
  disposeStepInputs(again);
  // no classes without a class count, no real labels unless conditional
  const plain = stepInputs({ ...settings, conditional: false, numClasses: null }, 0, batches);
  assert.equal(plain.d[0].realLabels, undefined);
  assert.equal(plain.d[0].fakeLabels, undefined);
  assert.equal(plain.g.fakeLabels, undefined);
  disposeStepInputs(plain);
});

test('disposing a step\'s inputs frees every tensor they hold; with keepReal, the reused batch stays usable', () => {
  const before = tf.memory().numTensors;
  const batches = new RealBatches(tinyImages(20), 4, settings.seed, '0,1');
  for (let s = 0; s < 3; s++) disposeStepInputs(stepInputs(settings, s, batches));
  assert.equal(tf.memory().numTensors, before);

  const random = new RandomRealBatch({ seed: 1, batchSize: 4, pixelRange: '-1,1', numClasses: 3 }, [8, 8, 1]);
  const held = tf.memory().numTensors;
  assert.equal(held, before + 2, 'the random batch holds its images and its labels');
  const firstStep = stepInputs(settings, 0, random);
  const images = contents(firstStep).d[0];
  disposeStepInputs(firstStep, true);
  assert.equal(tf.memory().numTensors, held);
  const secondStep = stepInputs(settings, 1, random);
  const second = contents(secondStep);
  // the same images and classes for every index
  for (const b of second.d) {
    assert.deepEqual(b.real, images.real);
    assert.deepEqual(b.realLabels, images.realLabels);
  }
  assert.ok(images.real!.every((v) => v >= -1 && v <= 1) && images.real!.some((v) => v < 0), 'uniform in [-1, 1]');
  assert.ok(images.realLabels!.every((l) => Number.isInteger(l) && l >= 0 && l < 3));
  disposeStepInputs(secondStep, true);
  random.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('gantry bench times a conditional preset with several D updates per step, and no tensor outlives its step', () => {
  // wgan-gp-mnist: five D updates per G update; cgan-mnist: real and fake classes from the shared inputs
  for (const preset of ['wgan-gp-mnist', 'cgan-mnist']) {
    const r = spawnSync(process.execPath, [gantryBin, 'bench', '--preset', preset, '--batch-size', '4', '--steps', '2', '--warmup', '1', '--backend', 'onednn', '--threads', '1', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { preset: string; steps: number; numTensorsGrowth: number; flopsPerStep: number };
    assert.equal(result.preset, preset);
    assert.equal(result.steps, 2);
    assert.equal(result.numTensorsGrowth, 0);
    assert.ok(result.flopsPerStep > 0);
  }
});

test('bytesToPixels01 turns every byte into float32(b / 255), bit for bit', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, b) => b);
  const want = Float32Array.from(bytes, (b) => b / 255);
  assert.deepEqual(new Uint32Array(bytesToPixels01(bytes).buffer), new Uint32Array(want.buffer));
});

test('a set kept as bytes batches bit for bit as the same set kept as floats, in both pixel ranges', () => {
  // every byte value, in 4 images of 8x8x1 (the page's .gds sets keep bytes; the CLI's MNIST keeps floats)
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256);
  const asFloats = { source: 'test', count: 4, height: 8, width: 8, channels: 1, pixels01: Float32Array.from(bytes, (b) => b / 255) };
  const asBytes = { ...asFloats, bytes };
  for (const range of ['0,1', '-1,1'] as const) {
    const a = new RealBatches(asFloats, 2, 5, range).batch(1).images;
    const b = new RealBatches(asBytes, 2, 5, range).batch(1).images;
    assert.deepEqual(new Uint32Array(b.dataSync().buffer), new Uint32Array(a.dataSync().buffer), `pixel range ${range}`);
    tf.dispose([a, b]);
  }
});
