import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { adversarialLosses, hingeLoss, leastSquaresLoss, minimaxLoss, nonSaturatingLoss, relativisticAverageLoss, wassersteinLoss } from 'gantry-core/losses/adversarial.js';

await tf.setBackend('cpu');

const sig = (t: number) => 1 / (1 + Math.exp(-t));
const meanOf = (xs: number[], f: (x: number) => number) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

const real = [2.0, -0.5, 0.3];
const fake = [-1.5, 0.7, -3.0];

test('non-saturating loss equals the tutorial formula on moderate logits', () => {
  const r = tf.tensor1d(real);
  const f = tf.tensor1d(fake);
  const expectD = -meanOf(real, (t) => Math.log(sig(t))) - meanOf(fake, (t) => Math.log(1 - sig(t)));
  const expectG = -meanOf(fake, (t) => Math.log(sig(t)));
  assert.ok(Math.abs(value(nonSaturatingLoss.discriminator(r, f)) - expectD) < 1e-5);
  assert.ok(Math.abs(value(nonSaturatingLoss.generator(f)) - expectG) < 1e-5);
  tf.dispose([r, f]);
});

test('non-saturating loss stays finite and exact for extreme logits', () => {
  // log(sigmoid(-1000)) would be log(0) = -Infinity; softplus gives 1000 exactly
  const r = tf.tensor1d([-1000, 1000]);
  const f = tf.tensor1d([1000, -1000]);
  const lossD = value(nonSaturatingLoss.discriminator(r, f));
  // -log D(x): softplus(1000) = 1000 and softplus(-1000) ~ 0, mean 500; the same for fakes
  assert.ok(Math.abs(lossD - 1000) < 1e-3, `L_D = ${lossD}`);
  const lossG = value(nonSaturatingLoss.generator(f));
  assert.ok(Math.abs(lossG - 500) < 1e-3, `L_G = ${lossG}`);
  tf.dispose([r, f]);
});

test('gradients of the non-saturating loss are finite at extreme logits', () => {
  const f = tf.tensor1d([1000, -1000, 0]);
  const g = tf.grad((x: tf.Tensor) => nonSaturatingLoss.generator(x))(f);
  const gv = Array.from(g.dataSync());
  // d/dt softplus(-t)/n = -sigmoid(-t)/n
  const expected = [0, -1 / 3, -0.5 / 3];
  gv.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `gradient ${i}: ${x}, expected ${expected[i]}`));
  tf.dispose([f, g]);
});

test('minimax generator loss is E[log(1 - D(G(z)))]', () => {
  const f = tf.tensor1d(fake);
  const expect = meanOf(fake, (t) => Math.log(1 - sig(t)));
  assert.ok(Math.abs(value(minimaxLoss.generator(f)) - expect) < 1e-5);
  f.dispose();
});

test('least squares, hinge and Wasserstein losses equal their definitions', () => {
  const r = tf.tensor1d(real);
  const f = tf.tensor1d(fake);
  const lsD = 0.5 * (meanOf(real, (t) => (t - 1) ** 2) + meanOf(fake, (t) => t ** 2));
  const lsG = 0.5 * meanOf(fake, (t) => (t - 1) ** 2);
  assert.ok(Math.abs(value(leastSquaresLoss.discriminator(r, f)) - lsD) < 1e-5);
  assert.ok(Math.abs(value(leastSquaresLoss.generator(f)) - lsG) < 1e-5);
  const hD = meanOf(real, (t) => Math.max(0, 1 - t)) + meanOf(fake, (t) => Math.max(0, 1 + t));
  assert.ok(Math.abs(value(hingeLoss.discriminator(r, f)) - hD) < 1e-5);
  assert.ok(Math.abs(value(hingeLoss.generator(f)) + meanOf(fake, (t) => t)) < 1e-5);
  const wD = meanOf(fake, (t) => t) - meanOf(real, (t) => t);
  assert.ok(Math.abs(value(wassersteinLoss.discriminator(r, f)) - wD) < 1e-5);
  tf.dispose([r, f]);
});

test('relativistic average loss equals its definition, for D and for G', () => {
  const r = tf.tensor1d(real);
  const f = tf.tensor1d(fake);
  const mr = meanOf(real, (t) => t);
  const mf = meanOf(fake, (t) => t);
  const expectD = -meanOf(real, (t) => Math.log(sig(t - mf))) - meanOf(fake, (t) => Math.log(1 - sig(t - mr)));
  const expectG = -meanOf(fake, (t) => Math.log(sig(t - mr))) - meanOf(real, (t) => Math.log(1 - sig(t - mf)));
  assert.ok(Math.abs(value(relativisticAverageLoss.discriminator(r, f)) - expectD) < 1e-5);
  assert.ok(Math.abs(value(relativisticAverageLoss.generator(f, r)) - expectG) < 1e-5);
  assert.throws(() => relativisticAverageLoss.generator(f), /needs the real logits/);
  // G's gradient flows through the fake logits only: d/df_i of L_G
  const g = tf.grad((x: tf.Tensor) => relativisticAverageLoss.generator(x, r))(f);
  const n = fake.length;
  const want = fake.map((fi) => (-(1 - sig(fi - mr)) - meanOf(real, (t) => sig(t - mf))) / n);
  g.dataSync().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `grad ${i}: ${v} vs ${want[i]}`));
  tf.dispose([r, f, g]);
});

test('relativistic average loss stays finite for extreme logits', () => {
  const r = tf.tensor1d([1000, 1000]);
  const f = tf.tensor1d([-1000, -1000]);
  // D is certain: its loss is about 0, and each of G's two terms is softplus(2000) = 2000
  const lossD = value(relativisticAverageLoss.discriminator(r, f));
  const lossG = value(relativisticAverageLoss.generator(f, r));
  assert.ok(Math.abs(lossD) < 1e-6, `L_D ${lossD}`);
  assert.ok(Math.abs(lossG - 4000) < 1e-2, `L_G ${lossG}`);
  tf.dispose([r, f]);
});

test('every registered loss leaves no tensors behind', () => {
  const r = tf.tensor1d(real);
  const f = tf.tensor1d(fake);
  const before = tf.memory().numTensors;
  for (const loss of Object.values(adversarialLosses)) {
    tf.tidy(() => {
      loss.discriminator(r, f);
      loss.generator(f, r);
    });
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([r, f]);
});
