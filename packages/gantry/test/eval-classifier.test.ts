import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { loadDataset } from '../src/data/load.js';
import { CLASSIFIER_SPLITS } from '../src/eval/classifierSpec.js';
import { argmaxRows, loadFeatureNetwork, type FeatureNetwork } from '../src/eval/featureNetwork.js';
import { featureStats, frechetDistance } from '../src/eval/frechet.js';
import { inceptionScore } from '../src/eval/inceptionScore.js';
import { kernelInceptionDistance } from '../src/eval/kid.js';
import { UsageError } from 'gantry-core/errors.js';
import { Rng } from 'gantry-core/util/random.js';

const IMAGE = 28 * 28;
let net: FeatureNetwork;
let pixels: Float32Array;
let labels: Int32Array;

test('setup: backend, MNIST and the committed classifier', async () => {
  await selectBackend('auto');
  const data = await loadDataset('mnist');
  pixels = data.pixels01;
  labels = data.labels!;
  net = loadFeatureNetwork('mnist');
  assert.equal(net.featureDim, 128);
  assert.equal(net.numClasses, 10);
});

test('the committed MNIST classifier reaches 98% on the held-out split, without leaking tensors', () => {
  const { total, heldOut } = CLASSIFIER_SPLITS.mnist;
  const before = tf.memory().numTensors;
  const probs = net.probs(pixels.subarray((total - heldOut) * IMAGE), heldOut);
  assert.equal(tf.memory().numTensors, before, 'feature network leaked tensors');
  const predicted = argmaxRows(probs, heldOut, 10);
  const correct = predicted.reduce((a, p, i) => a + (p === labels[total - heldOut + i] ? 1 : 0), 0);
  const accuracy = correct / heldOut;
  assert.ok(accuracy >= 0.98, `held-out accuracy ${accuracy}`);
  assert.ok(Math.abs(accuracy - net.heldOutAccuracy) <= 0.002, `manifest says ${net.heldOutAccuracy}, measured ${accuracy}`);
});

test('FID and KID grow monotonically with the noise added to real images', () => {
  const n = 300;
  const real = pixels.subarray(0, 1000 * IMAGE);
  const realFeats = net.features(real, 1000);
  const realStats = featureStats(realFeats, 1000, 128);
  const heldOut = pixels.subarray(8000 * IMAGE, (8000 + n) * IMAGE);
  const fids: number[] = [];
  const kids: number[] = [];
  for (const sigma of [0, 0.1, 0.25, 0.5]) {
    const rng = new Rng(1, 0, 0);
    const noisy = heldOut.map((v) => Math.min(1, Math.max(0, v + sigma * rng.normal())));
    const f = net.features(noisy, n);
    const s = featureStats(f, n, 128);
    fids.push(frechetDistance(realStats.mu, realStats.sigma, s.mu, s.sigma));
    kids.push(kernelInceptionDistance(realFeats, f, 128, { subsets: 5, subsetSize: 200, seed: 0 }).mean);
  }
  for (let i = 1; i < fids.length; i++) {
    assert.ok(fids[i]! > fids[i - 1]!, `FID not increasing: ${fids.join(', ')}`);
    assert.ok(kids[i]! > kids[i - 1]!, `KID not increasing: ${kids.join(', ')}`);
  }
});

test('Inception Score of one repeated image is 1; of real digits is high', () => {
  const one = new Float32Array(50 * IMAGE);
  for (let i = 0; i < 50; i++) one.set(pixels.subarray(0, IMAGE), i * IMAGE);
  assert.ok(Math.abs(inceptionScore(net.probs(one, 50), 50, 10, 5).mean - 1) < 1e-4);
  const real = inceptionScore(net.probs(pixels.subarray(8000 * IMAGE, 8500 * IMAGE), 500), 500, 10, 5);
  assert.ok(real.mean > 8, `IS of real digits ${real.mean}`);
});

test('a dataset with no feature network is a usage error that names what still works', () => {
  assert.throws(() => loadFeatureNetwork('npy:/tmp/x.npy'), (e: unknown) => e instanceof UsageError && /pixel-space precision\/recall/.test(e.message));
  assert.throws(() => loadFeatureNetwork('../mnist'), UsageError);
});

test('teardown', () => {
  net.dispose();
});
