import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { assertParity, ensureBackend, randomTensor, valueAndGrads } from './parity.js';

before(ensureBackend);

const cases: [number[], number[], number][] = [
  [[10, 6], [4], 0],
  [[10, 6], [2, 3], 0],
  [[3, 7, 5], [6], 1],
  [[4, 5, 2], [3], 2],
  [[4, 5, 2], [3], -1],
];

for (const [shape, indexShape, axis] of cases) {
  test(`gather of [${shape}] by [${indexShape}] on axis ${axis}, and its gradient (segment sum)`, async () => {
    const n = indexShape.reduce((a, b) => a * b, 1);
    const rows = shape[axis < 0 ? shape.length + axis : axis]!;
    // repeated indices, so the gradient must add rows together
    const idx = Int32Array.from({ length: n }, (_, i) => (i * 3) % rows);
    await assertParity(`gather ${shape}`, () => {
      const indices = tf.tensor(idx, indexShape, 'int32');
      return valueAndGrads((x) => tf.gather(x, indices, axis), [randomTensor(shape, 5)]);
    });
  });
}

test('unsorted segment sum drops out-of-range ids and matches cpu', async () => {
  await assertParity('segment sum', () => tf.unsortedSegmentSum(randomTensor([6, 4], 7), tf.tensor1d([0, 2, 2, 5, -1, 1], 'int32'), 4));
});

test('gather rejects an index out of range', async () => {
  await tf.setBackend('onednn');
  assert.throws(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32')), /the index value 3 is not in \[0, 2\]/);
});

const slices: [number[], number[], number[]][] = [
  [[6, 5], [1, 2], [3, -1]],
  [[2, 7, 4, 3], [0, 1, 1, 0], [2, 4, 2, 3]],
  [[9], [3], [4]],
  // whole trailing axes: copied as runs of width x channels
  [[3, 6, 5, 2], [1, 2, 0, 0], [2, 3, 5, 2]],
  [[3, 6, 5, 2], [0, 1, 1, 0], [3, 4, 3, 2]],
];
for (const [shape, begin, size] of slices) {
  test(`slice of [${shape}] at [${begin}] size [${size}], and its gradient`, async () => {
    await assertParity(`slice ${shape}`, () => valueAndGrads((x) => tf.slice(x, begin, size), [randomTensor(shape, 11)]));
  });
}

test('split (the gradient of concat) on inner and outer axes', async () => {
  await assertParity('split', () => [
    ...tf.split(randomTensor([4, 10], 12), [3, 7], 1),
    ...tf.split(randomTensor([6, 2, 3], 13), 3, 0),
    ...valueAndGrads((a, b) => tf.concat([a, b], 1), [randomTensor([4, 3], 14), randomTensor([4, 5], 15)]),
  ]);
});

// [shapes, axis]: the first axis (a discriminator's real and fake batches), an inner axis with
// long runs, the last axis with runs of one, and three inputs
const concats: [number[][], number][] = [
  [[[2, 4, 5, 3], [3, 4, 5, 3]], 0],
  [[[2, 3, 40], [2, 5, 40]], 1],
  [[[6, 1], [6, 1]], 1],
  [[[2, 3, 4], [2, 3, 1], [2, 3, 2]], -1],
];
for (const [shapes, axis] of concats) {
  test(`concat of ${JSON.stringify(shapes)} on axis ${axis}, and its gradient`, async () => {
    await assertParity(`concat ${JSON.stringify(shapes)}`, () =>
      valueAndGrads((...xs) => tf.concat(xs, axis), shapes.map((shape, k) => randomTensor(shape, 30 + k))));
  });
}

test('concat is a kernel of its own on onednn, keeps every value and still rejects shapes that disagree', async () => {
  await tf.setBackend('onednn');
  const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const b = tf.tensor2d([5, 6], [2, 1]);
  assert.deepEqual(Array.from(tf.concat([a, b], 1).dataSync()), [1, 2, 5, 3, 4, 6]);
  assert.deepEqual(Array.from(tf.concat([a, a], 0).dataSync()), [1, 2, 3, 4, 1, 2, 3, 4]);
  assert.notEqual(tf.getKernel('Concat', 'onednn')?.kernelFunc, tf.getKernel('Concat', 'cpu')?.kernelFunc);
  assert.throws(() => tf.concat([a, tf.zeros([3, 1])], 1));
});

const pads: [number[], [number, number][], number][] = [
  [[2, 5, 4, 3], [[0, 0], [2, 1], [3, 3], [0, 0]], 0],
  [[3, 4], [[1, 2], [0, 3]], 0.5],
  [[2, 3, 2], [[0, 0], [0, 0], [0, 0]], 0],
  [[4], [[2, 0]], -1],
  [[1, 2, 2, 3], [[1, 1], [0, 2], [1, 0], [2, 1]], 0],
];
for (const [shape, paddings, value] of pads) {
  test(`pad of [${shape}] by ${JSON.stringify(paddings)} with ${value}, and its gradient (a slice)`, async () => {
    await assertParity(`pad ${shape}`, () => valueAndGrads((x) => tf.pad(x, paddings, value), [randomTensor(shape, 17)]));
  });
}

test('pad is a kernel of its own on onednn and keeps every value', async () => {
  await tf.setBackend('onednn');
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 1, 3]);
  const y = tf.pad(x, [[0, 0], [1, 0], [0, 1], [0, 0]], 9);
  assert.deepEqual(y.shape, [1, 3, 2, 3]);
  assert.deepEqual(Array.from(y.dataSync()), [9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9]);
  assert.notEqual(tf.getKernel('PadV2', 'onednn')?.kernelFunc, tf.getKernel('PadV2', 'cpu')?.kernelFunc);
});
