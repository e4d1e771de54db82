import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused } from '../src/index.js';
import { ensureBackend, randomTensor } from './parity.js';

before(ensureBackend);

test('training steps on onednn do not leak tensors', async () => {
  await tf.setBackend('onednn');
  const shapes = [[3, 3, 1, 4], [4], [4], [4], [2 * 2 * 4, 1]];
  const vars = shapes.map((s, i) => tf.variable(tf.mul(randomTensor(s, i + 1), 0.3)));
  const m = shapes.map((s) => tf.variable(tf.zeros(s)));
  const v = shapes.map((s) => tf.variable(tf.zeros(s)));
  const x = randomTensor([4, 4, 4, 1], 9);
  const step = (k: number) => {
    const { value, grads } = tf.variableGrads(() => {
      const [w, b, gamma, beta, dense] = vars as tf.Tensor[];
      const h = tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), b!);
      const n = fused.batchNormTraining(h, gamma!, beta!, 1e-3);
      const a = fused.leakyRelu(n.y, 0.2);
      const logits = tf.matMul(tf.reshape(a, [4, 16]), dense!);
      return tf.mean(tf.softplus(tf.neg(logits))) as tf.Scalar;
    }, vars);
    fused.adamUpdate(vars, vars.map((p) => grads[p.name]!), m, v, 1e-3 * k, 0.5, 0.999, 1e-7);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  };
  step(1);
  const before = tf.memory().numTensors;
  for (let k = 2; k <= 6; ++k) {
    step(k);
    assert.equal(tf.memory().numTensors, before, `tensor count after step ${k}`);
  }
  [...vars, ...m, ...v, x].forEach((t) => t.dispose());
});
