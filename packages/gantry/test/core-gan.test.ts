import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { couplesBatch } from 'gantry-core/models/network.js';
import { getPreset } from 'gantry-core/models/presets.js';
import { Gan } from 'gantry-core/train/gan.js';
import { RealBatches, noiseBatch } from 'gantry-core/train/batches.js';
import { permutation, Stream } from 'gantry-core/util/random.js';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { maxAbsDiff, snapshot, tinyConfig, tinyConvNets, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

function setup(seed = 0) {
  const config = tinyConfig({ seed });
  const gan = new Gan(config);
  const batches = new RealBatches(tinyImages(), config.batchSize, config.seed, config.pixelRange);
  return { config, gan, batches };
}

test('the D step leaves every variable of G bit-identical and changes D', () => {
  const { config, gan, batches } = setup();
  const g0 = snapshot(gan.G.allVariables());
  const d0 = snapshot(gan.D.trainable);
  const real = batches.batch(0).images;
  const z = noiseBatch(config.seed, Stream.noiseD, 0, config.batchSize, config.latentDim);
  gan.discriminatorStep(0, { real, z, counter: 0 }, true);
  assert.equal(maxAbsDiff(g0, snapshot(gan.G.allVariables())), 0);
  assert.ok(maxAbsDiff(d0, snapshot(gan.D.trainable)) > 0, 'D did not change');
  tf.dispose([real, z]);
  gan.dispose();
});

test('the D step runs D once on real and fake together, with the loss of two separate calls', () => {
  const { config, gan, batches } = setup();
  assert.equal(gan.batchedD, true);
  const real = batches.batch(0).images;
  const z = noiseBatch(config.seed, Stream.noiseD, 0, config.batchSize, config.latentDim);
  const expected = tf.tidy(() => {
    const fake = gan.G.apply(z, { training: true });
    return gan.loss.discriminator(gan.D.apply(real, { training: true }), gan.D.apply(fake, { training: true })).dataSync()[0]!;
  });
  const calls: number[] = [];
  const apply = gan.D.apply.bind(gan.D);
  gan.D.apply = (x, opts) => {
    calls.push(x.shape[0]!);
    return apply(x, opts);
  };
  const stats = gan.discriminatorStep(0, { real, z, counter: 0 }, true)!;
  assert.deepEqual(calls, [2 * config.batchSize]);
  assert.ok(Math.abs(stats.lossD - expected) < 1e-6, `batched ${stats.lossD} against separate ${expected}`);
  tf.dispose([real, z]);
  gan.dispose();
});

test('a D with batchnorm keeps separate real and fake calls', () => {
  for (const name of ['dcgan64', 'cgan-emoji']) assert.equal(couplesBatch(getPreset(name)!.discriminator), true, name);
  for (const name of ['dcgan-mnist', 'hinge-sngan-mnist', 'sngan64', 'resnet-folder32']) assert.equal(couplesBatch(getPreset(name)!.discriminator), false, name);
  const coupled = JSON.parse(JSON.stringify(tinyConvNets));
  coupled.discriminator.layers.splice(1, 0, { kind: 'batchNorm' });
  const gan = new Gan(resolveTrainConfig(coupled, { batchSize: 4, backend: 'cpu' }));
  assert.equal(gan.batchedD, false);
  const calls: number[] = [];
  const apply = gan.D.apply.bind(gan.D);
  gan.D.apply = (x, opts) => {
    calls.push(x.shape[0]!);
    return apply(x, opts);
  };
  const batches = new RealBatches(tinyImages(), 4, 0, gan.config.pixelRange);
  const real = batches.batch(0).images;
  const z = noiseBatch(0, Stream.noiseD, 0, 4, gan.config.latentDim);
  gan.discriminatorStep(0, { real, z, counter: 0 }, false);
  assert.deepEqual(calls, [4, 4]);
  tf.dispose([real, z]);
  gan.dispose();
});

test('the G step leaves every variable of D bit-identical and changes G', () => {
  const { config, gan } = setup();
  const d0 = snapshot(gan.D.allVariables());
  const g0 = snapshot(gan.G.trainable);
  const z = noiseBatch(config.seed, Stream.noiseG, 0, config.batchSize, config.latentDim);
  gan.generatorStep(0, { z, counter: 0 }, true);
  assert.equal(maxAbsDiff(d0, snapshot(gan.D.allVariables())), 0);
  assert.ok(maxAbsDiff(g0, snapshot(gan.G.trainable)) > 0, 'G did not change');
  tf.dispose(z);
  gan.dispose();
});

test('no tensor leaks across training steps', async () => {
  const { config, gan, batches } = setup();
  const counts: number[] = [];
  for (let step = 0; step < 5; step++) {
    const real = batches.batch(step).images;
    const zD = noiseBatch(config.seed, Stream.noiseD, step, config.batchSize, config.latentDim);
    const zG = noiseBatch(config.seed, Stream.noiseG, step, config.batchSize, config.latentDim);
    await gan.trainStep(step, [{ real, z: zD, counter: step }], { z: zG, counter: step }, step % 2 === 0);
    tf.dispose([real, zD, zG]);
    counts.push(tf.memory().numTensors);
  }
  assert.deepEqual(counts.slice(1), Array(4).fill(counts[0]));
  gan.dispose();
});

async function trainSteps(seed: number, steps: number): Promise<Map<string, Float32Array>> {
  const { config, gan, batches } = setup(seed);
  for (let step = 0; step < steps; step++) {
    const real = batches.batch(step).images;
    const zD = noiseBatch(config.seed, Stream.noiseD, step, config.batchSize, config.latentDim);
    const zG = noiseBatch(config.seed, Stream.noiseG, step, config.batchSize, config.latentDim);
    await gan.trainStep(step, [{ real, z: zD, counter: step }], { z: zG, counter: step }, false);
    tf.dispose([real, zD, zG]);
  }
  const all = snapshot([...gan.G.allVariables(), ...gan.D.allVariables(), ...gan.optG.slots, ...gan.optD.slots]);
  gan.dispose();
  return all;
}

test('two runs with the same seed produce identical weights; another seed differs', async () => {
  const a = await trainSteps(3, 4);
  const b = await trainSteps(3, 4);
  const c = await trainSteps(4, 4);
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, c) > 0);
});

test('training lowers D loss on an easy problem (the loop learns)', async () => {
  const { config, gan, batches } = setup(1);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const real = batches.batch(step).images;
    const zD = noiseBatch(config.seed, Stream.noiseD, step, config.batchSize, config.latentDim);
    const zG = noiseBatch(config.seed, Stream.noiseG, step, config.batchSize, config.latentDim);
    const s = await gan.trainStep(step, [{ real, z: zD, counter: step }], { z: zG, counter: step }, true);
    losses.push(s!.lossD);
    tf.dispose([real, zD, zG]);
  }
  // starting near 2 log 2 = 1.386 (D knows nothing); D learns to separate noise from G's start
  assert.ok(Math.abs(losses[0] - 2 * Math.log(2)) < 0.3, `first L_D ${losses[0]}`);
  assert.ok(losses.every(Number.isFinite));
  gan.dispose();
});

test('real batches follow a seeded per-epoch permutation and drop the partial last batch', () => {
  const set = tinyImages(10);
  const batches = new RealBatches(set, 4, 5, '0,1');
  assert.equal(batches.stepsPerEpoch, 2);
  const order = permutation(10, 5, Stream.dataOrder, 0);
  const b1 = batches.batch(1).images;
  const first = b1.slice([0, 0, 0, 0], [1, 8, 8, 1]).dataSync();
  assert.deepEqual(Array.from(first), Array.from(set.pixels01.subarray(order[4] * 64, order[4] * 64 + 64)));
  assert.equal(batches.epochOf(2), 1);
  const pm1 = new RealBatches(set, 4, 5, '-1,1').batch(0).images;
  const v = pm1.dataSync();
  assert.ok(Math.min(...v) >= -1 && Math.max(...v) <= 1 && Math.min(...v) < 0);
  tf.dispose([b1, pm1]);
});
