import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import * as tf from '@tensorflow/tfjs';
import { Gan } from 'gantry-core/train/gan.js';
import { tinyConvNets } from './fixtures.js';

type Json = Record<string, unknown>;

/** The tiny conv GAN with D's layers replaced. */
function withDiscriminator(input: number[], layers: Json[]): Json {
  const nets = JSON.parse(JSON.stringify(tinyConvNets)) as Json;
  return { ...nets, discriminator: { input, layers } };
}

function resolve(config: Json) {
  return resolveTrainConfig(config, { backend: 'cpu', steps: 1 });
}

function refused(config: Json, message: RegExp) {
  assert.throws(() => resolve(config), (e: unknown) => e instanceof UsageError && message.test(e.message), `expected ${message}`);
}

const tail = [{ kind: 'flatten' }, { kind: 'dense', units: 1 }];

test('spectralNorm is accepted on dense, conv2d and conv2dTranspose, and must be a boolean', () => {
  const ok = resolve(withDiscriminator([8, 8, 1], [
    { kind: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 'same', spectralNorm: true },
    { kind: 'conv2dTranspose', filters: 2, kernel: 3, stride: 1, padding: 'same', spectralNorm: false },
    { kind: 'flatten' },
    { kind: 'dense', units: 1, spectralNorm: true },
  ]));
  assert.equal((ok.discriminator.layers[0] as { spectralNorm?: boolean }).spectralNorm, true);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 'same', spectralNorm: 'yes' }, ...tail]), /layers\[0\]\.spectralNorm must be true or false/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'relu', spectralNorm: true }, ...tail]), /layers\[0\]: unknown key 'spectralNorm'/);
});

test('existing layers keep refusing wrong types', () => {
  refused(withDiscriminator([8, 8, 1], [{ kind: 'batchNorm', momentum: '0.5' }, ...tail]), /momentum must be a number in \[0, 1\)/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'nope' }, ...tail]), /kind must be one of: .*resBlockDown/);
});

test('conditioning layers: classes, embedding and their place are validated', () => {
  const flatFeatures = [{ kind: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 'same' }, { kind: 'flatten' }];
  resolve(withDiscriminator([8, 8, 1], [{ kind: 'labelConcat', classes: 10 }, ...flatFeatures, { kind: 'projection', classes: 10 }]));
  resolve(withDiscriminator([8, 8, 1], [{ kind: 'labelConcat', classes: 10, embedding: 3 }, ...flatFeatures, { kind: 'projection', classes: 10, spectralNorm: true }]));
  refused(withDiscriminator([8, 8, 1], [...flatFeatures, { kind: 'projection' }]), /layers\[2\]\.classes must be an integer of at least 2/);
  refused(withDiscriminator([8, 8, 1], [...flatFeatures, { kind: 'projection', classes: 1 }]), /classes must be an integer of at least 2/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'labelConcat', classes: 10, embedding: 0 }, ...tail]), /layers\[0\]\.embedding must be a positive integer/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'labelConcat', classes: 10, embed: 4 }, ...tail]), /layers\[0\]: unknown key 'embed'/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'projection', classes: 10 }]), /layers\[0\]: layer projection needs features \[F\] per example.*got \[8, 8, 1\]/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'flatten' }, { kind: 'auxClassifier', classes: 10, bias: false }]), /unknown key 'bias'/);
});

const residualNets = {
  latentDim: 8,
  generator: { input: [8], layers: [
    { kind: 'dense', units: 2 * 2 * 4 }, { kind: 'reshape', shape: [2, 2, 4] },
    { kind: 'resBlockUp', filters: 4 }, { kind: 'resBlockUp', filters: 4, momentum: 0.9 },
    { kind: 'batchNorm' }, { kind: 'relu' }, { kind: 'conv2d', filters: 1, kernel: 3, stride: 1, padding: 'same' }, { kind: 'tanh' },
  ] },
  discriminator: { input: [8, 8, 1], layers: [
    { kind: 'resBlockDown', filters: 4, preactivation: false, spectralNorm: true }, { kind: 'resBlockDown', filters: 4, spectralNorm: true },
    { kind: 'relu' }, { kind: 'globalSumPool' }, { kind: 'dense', units: 1, spectralNorm: true },
  ] },
};

test('a residual GAN with spectral norm in D validates and trains a step', async () => {
  await tf.setBackend('cpu');
  const config = resolveTrainConfig(JSON.parse(JSON.stringify(residualNets)) as Json, { backend: 'cpu', steps: 1, batchSize: 2 });
  const gan = new Gan(config);
  const d0 = gan.D.trainable.map((v) => Array.from(v.variable.dataSync()));
  const real = tf.randomUniform([2, 8, 8, 1], -1, 1);
  const stats = await gan.trainStep(0, [{ real, z: tf.randomNormal([2, 8]), counter: 0 }], { z: tf.randomNormal([2, 8]), counter: 0 }, true);
  assert.ok(stats && Number.isFinite(stats.lossD) && Number.isFinite(stats.lossG));
  assert.notDeepEqual(gan.D.trainable.map((v) => Array.from(v.variable.dataSync())), d0);
  gan.dispose();
});

test('residual layers: keys and shapes are validated', () => {
  const g = (layers: Json[]) => ({ ...residualNets, generator: { input: [8], layers } });
  refused(g([{ kind: 'dense', units: 16 }, { kind: 'reshape', shape: [2, 2, 4] }, { kind: 'resBlockUp' }]), /generator\.layers\[2\]\.filters must be a positive integer/);
  refused(g([{ kind: 'dense', units: 16 }, { kind: 'reshape', shape: [2, 2, 4] }, { kind: 'resBlockUp', filters: 4, momentum: 1 }]), /layers\[2\]\.momentum must be a number in \[0, 1\)/);
  refused(g([{ kind: 'dense', units: 16 }, { kind: 'resBlockUp', filters: 4 }]), /generator\.layers\[1\]: layer resBlockUp needs an image \[height, width, channels\] per example, got \[16\]/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'resBlockDown', filters: 2, preactivation: 'no' }, ...tail]), /preactivation must be true or false/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'resBlockDown', filters: 2, momentum: 0.9 }, ...tail]), /unknown key 'momentum'/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'conv2d', filters: 2, kernel: 2, stride: 1, padding: 'valid' }, { kind: 'avgPool' }, ...tail]), /layers\[1\]: layer avgPool halves height and width, which must be even, got \[7, 7, 2\]/);
  refused(withDiscriminator([8, 8, 1], [{ kind: 'upsample', factor: 2 }, ...tail]), /unknown key 'factor'/);
});
