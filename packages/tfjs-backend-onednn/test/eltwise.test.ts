import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { assertParity, ensureBackend, randomTensor, valueAndGrads } from './parity.js';

before(ensureBackend);

const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['maximum', tf.maximum], ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
  // keep the divisor away from zero
  ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
];

const shapes: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[2, 1, 4], [1, 3, 1]],
  [[5, 1], [1]],
  [[], [2, 3]],
  [[2, 3, 1, 5], [3, 4, 5]],
];

// tfjs's own gradients of these ops do not reduce over broadcast axes (they
// fail on the cpu backend too), so with broadcasting only the forward pass is
// compared.
const noBroadcastGradient = new Set(['maximum', 'minimum', 'squaredDifference']);

for (const [name, op] of binary) {
  for (const [sa, sb] of shapes) {
    const withGrads = !noBroadcastGradient.has(name) || tf.util.arraysEqual(sa, sb);
    test(`${name} [${sa}] with [${sb}]: forward${withGrads ? ' and gradients' : ''}`, async () => {
      await assertParity(name, () => {
        const inputs = [randomTensor(sa, 1), randomTensor(sb, 2)];
        return withGrads ? valueAndGrads(op, inputs) : op(inputs[0]!, inputs[1]!);
      });
    });
  }
}

for (const [name, op] of [['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less],
  ['lessEqual', tf.lessEqual], ['equal', tf.equal], ['notEqual', tf.notEqual]] as const) {
  test(`${name} with broadcasting gives bool`, async () => {
    await assertParity(name, () => {
      const a = tf.round(tf.mul(randomTensor([2, 3, 4], 1), 2));
      const b = tf.round(tf.mul(randomTensor([3, 1], 2), 2));
      return [op(a, b), op(b, a)];
    });
  });
}

const unary: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ['neg', tf.neg], ['abs', tf.abs], ['square', tf.square], ['exp', tf.exp], ['softplus', tf.softplus],
  ['relu', tf.relu], ['relu6', (x) => tf.relu6(tf.mul(x, 8))], ['sigmoid', tf.sigmoid], ['tanh', tf.tanh],
  ['elu', tf.elu], ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)], ['step', (x) => tf.step(x, 0.3)],
  ['expm1', tf.expm1],
  ['sqrt', (x) => tf.sqrt(tf.add(tf.abs(x), 0.1))], ['rsqrt', (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1))],
  ['log', (x) => tf.log(tf.add(tf.abs(x), 0.1))], ['log1p', (x) => tf.log1p(tf.abs(x))],
  ['reciprocal', (x) => tf.reciprocal(tf.add(tf.abs(x), 0.5))],
  ['prelu', (x) => tf.prelu(x, tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]))],
];

for (const [name, op] of unary) {
  test(`${name}: forward and gradients`, async () => {
    await assertParity(name, () => valueAndGrads(op, [tf.mul(randomTensor([3, 4, 5], 3), 3)]));
  });
}

test('softplus is stable for large magnitudes', async () => {
  await assertParity('softplus', () => tf.softplus(tf.tensor1d([-100, -20, -1, 0, 1, 20, 100])));
});

test('select (where) with same-shaped condition, forward and gradients', async () => {
  await assertParity('select', () => {
    const cond = tf.greater(randomTensor([4, 5], 1), 0);
    return valueAndGrads((a, b) => tf.where(cond, a!, b!), [randomTensor([4, 5], 2), randomTensor([4, 5], 3)]);
  });
});

test('addN', async () => {
  await assertParity('addN', () => tf.addN([randomTensor([3, 4], 1), randomTensor([3, 4], 2), randomTensor([3, 4], 3)]));
});

test('transpose, forward and gradients', async () => {
  await assertParity('transpose', () =>
    valueAndGrads((x) => tf.transpose(x!, [2, 0, 3, 1]), [randomTensor([2, 3, 4, 5], 4)]));
});

test('int32 inputs fall back to the cpu kernels', async () => {
  await assertParity('int32', () => {
    const a = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const b = tf.tensor1d([5, -6], 'int32');
    return [tf.add(a, b), tf.mul(a, b), tf.neg(a), tf.sum(a, 0), tf.max(a)];
  });
});

test('batchNorm (FusedBatchNorm) with per-channel statistics', async () => {
  await assertParity('batchNorm', () => {
    const x = randomTensor([2, 3, 3, 4], 1);
    const mean = randomTensor([4], 2);
    const variance = tf.add(tf.abs(randomTensor([4], 3)), 0.5);
    return [tf.batchNorm(x, mean, variance, randomTensor([4], 4), randomTensor([4], 5), 1e-3),
      tf.batchNorm(x, mean, variance)];
  });
});
