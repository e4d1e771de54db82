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
