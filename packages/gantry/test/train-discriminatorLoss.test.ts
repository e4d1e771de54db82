import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { gradientPenalty } from 'gantry-core/losses/regularizers.js';
import { RealBatches } from 'gantry-core/train/batches.js';
import { Gan } from 'gantry-core/train/gan.js';
import { disposeStepInputs, stepInputs } from 'gantry-core/train/stepInputs.js';
import { Rng, Stream } from 'gantry-core/util/random.js';
import { tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

/** A conditional G and an ACGAN D (one adversarial logit, then two class logits) on 8x8x1 images. */
const acganNets = {
  latentDim: 8,
  conditional: true,
  numClasses: 2,
  generator: { input: [8], layers: [
    { kind: 'labelConcat', classes: 2, embedding: 4 }, { kind: 'dense', units: 64 }, { kind: 'tanh' }, { kind: 'reshape', shape: [8, 8, 1] },
  ] },
  discriminator: { input: [8, 8, 1], layers: [
    { kind: 'conv2d', filters: 4, kernel: 4, stride: 2, padding: 'same' }, { kind: 'leakyRelu', alpha: 0.2 }, { kind: 'flatten' }, { kind: 'auxClassifier', classes: 2 },
  ] },
};

const acgan = (over: Record<string, unknown>) =>
  resolveTrainConfig(JSON.parse(JSON.stringify({ ...acganNets, ...over })), { batchSize: 4, steps: 4, backend: 'cpu' });

const summary = (gan: Gan) => gan.dTerms.map((t) => `${t.name} x${t.weight ?? 1} every ${t.every} (${t.kind})`);

test('the terms of D\'s loss follow the config, in the order they are summed', () => {
  const plain = new Gan(tinyConfig());
  assert.deepEqual(summary(plain), ['adversarial x1 every 1 (loss)']);
  plain.dispose();
  const full = new Gan(acgan({ auxClassifierWeight: 0.5, regularizer: { kind: 'r1', weight: 3, every: 4 } }));
  assert.deepEqual(summary(full), ['adversarial x1 every 1 (loss)', 'auxiliary-class x0.5 every 1 (loss)', 'r1 x12 every 4 (regularizer)']);
  full.dispose();
  for (const kind of ['gradient-penalty', 'r2'] as const) {
    const gan = new Gan(tinyConfig({ regularizer: { kind, weight: 10, every: 1 } as never }));
    assert.deepEqual(summary(gan), ['adversarial x1 every 1 (loss)', `${kind} x10 every 1 (regularizer)`]);
    gan.dispose();
  }
});

/** Each term of D's loss on the GAN's current weights, computed from the definitions by hand (D called on real and fake apart). */
function termsByHand(gan: Gan, b: { real: tf.Tensor; realLabels?: tf.Tensor; z: tf.Tensor; fakeLabels?: tf.Tensor; counter: number }) {
  return tf.tidy(() => {
    const fake = gan.G.apply(b.z, { training: true, labels: b.fakeLabels });
    const realOut = gan.D.apply(b.real, { training: true, labels: b.realLabels });
    const fakeOut = gan.D.apply(fake, { training: true, labels: b.fakeLabels });
    const logit = (out: tf.Tensor) => tf.slice(out, [0, 0], [-1, 1]);
    const classes = (out: tf.Tensor, labels: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32'), 2), tf.slice(out, [0, 1], [-1, 2]));
    const adversarial = gan.loss.discriminator(logit(realOut), logit(fakeOut));
    const auxiliary = tf.add(classes(realOut, b.realLabels!), classes(fakeOut, b.fakeLabels!));
    const eps = new Rng(gan.config.seed, Stream.gpEpsilon, b.counter).fillUniform(new Float32Array(b.real.shape[0]!), 0, 1);
    const penalty = gradientPenalty((x) => logit(gan.D.apply(x, { training: true, labels: b.realLabels })), b.real, fake, eps, 1);
    return { adversarial: adversarial.dataSync()[0]!, auxiliary: auxiliary.dataSync()[0]!, penalty: penalty.dataSync()[0]! };
  });
}

test('L_D is the adversarial term + weight x the class term + weight x every x the penalty on the steps it runs', () => {
  const gan = new Gan(acgan({ auxClassifierWeight: 0.5, regularizer: { kind: 'gradient-penalty', weight: 10, every: 2 } }));
  const batches = new RealBatches(tinyImages(20), 4, gan.config.seed, gan.config.pixelRange);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} against ${b}`);
  for (const step of [0, 1, 2]) {
    const inputs = stepInputs(gan.config, step, batches);
    const b = inputs.d[0];
    const want = termsByHand(gan, b);
    const stats = gan.discriminatorStep(step, b, true)!;
    const regularized = step % 2 === 0;
    close(stats.lossD, want.adversarial + 0.5 * want.auxiliary + (regularized ? 10 * 2 * want.penalty : 0), `L_D at step ${step}`);
    if (regularized) close(stats.penalty!, want.penalty, `penalty at step ${step}`);
    else assert.equal(stats.penalty, undefined, `no penalty at step ${step}`);
    assert.ok(want.auxiliary > 0 && want.penalty > 0);
    disposeStepInputs(inputs);
  }
  gan.dispose();
});
