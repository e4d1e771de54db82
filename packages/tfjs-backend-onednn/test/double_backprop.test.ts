import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused, fusedReference } from '../src/index.js';
import { TOLERANCE, assertParity, ensureBackend, randomTensor, relativeError, runOn } from './parity.js';

before(ensureBackend);

type LeakyRelu = (x: tf.Tensor, alpha: number) => tf.Tensor;

/**
 * A WGAN-GP style gradient penalty: D = dense(leakyRelu(conv(x) + b)), the
 * penalty is mean((|dD/dx| - 1)^2), and we take its gradient w.r.t. D's
 * weights: a gradient of a gradient through conv, matmul and leaky ReLU.
 */
function penaltyGrads(leaky: LeakyRelu): tf.Tensor[] {
  const x = randomTensor([3, 6, 6, 2], 1);
  const w1 = tf.mul(randomTensor([3, 3, 2, 4], 2), 0.5);
  const b1 = tf.mul(randomTensor([4], 3), 0.1);
  const w2 = tf.mul(randomTensor([3 * 3 * 4, 1], 4), 0.5);
  const critic = (input: tf.Tensor, k1: tf.Tensor, c1: tf.Tensor, k2: tf.Tensor) => {
    const h = leaky(tf.add(tf.conv2d(input as tf.Tensor4D, k1 as tf.Tensor4D, 2, 'same'), c1), 0.2);
    return tf.matMul(tf.reshape(h, [3, 36]), k2);
  };
  const penalty = (k1: tf.Tensor, c1: tf.Tensor, k2: tf.Tensor) => {
    const dx = tf.grad((input: tf.Tensor) => tf.sum(critic(input, k1, c1, k2)))(x);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(dx), [1, 2, 3]), 1e-12));
    return tf.mean(tf.square(tf.sub(norm, 1)));
  };
  return [penalty(w1, b1, w2), ...tf.grads(penalty)([w1, b1, w2])];
}

test('gradient penalty (second derivatives) through conv, matmul and reference leaky ReLU', async () => {
  const got = await assertParity('penalty', () => penaltyGrads(fusedReference.leakyRelu));
  // the weight gradients must not be trivially zero (the bias one is: dD/dx
  // does not depend on b1 except through leaky ReLU's piecewise-constant slope)
  for (const i of [1, 3]) assert.ok(got[i]!.values.some((v) => Math.abs(v) > 1e-6), `output ${i} is all zero`);
});

test('gradient penalty through the native fused leaky ReLU matches the reference on cpu', async () => {
  const want = await runOn('cpu', () => penaltyGrads(fusedReference.leakyRelu));
  const got = await runOn('onednn', () => penaltyGrads(fused.leakyRelu));
  want.forEach((w, i) => {
    assert.deepEqual(got[i]!.shape, w.shape);
    const e = relativeError(got[i]!.values, w.values);
    assert.ok(e <= TOLERANCE, `output ${i} relative error ${e}`);
  });
});
