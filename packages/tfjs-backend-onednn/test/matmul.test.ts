import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { assertParity, ensureBackend, randomTensor, valueAndGrads } from './parity.js';

before(ensureBackend);

const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [4, 5, 6], b: [4, 6, 3], ta: false, tb: false },
  { a: [2, 3, 5, 6], b: [2, 3, 6, 2], ta: false, tb: false },
  { a: [3, 6, 5], b: [3, 2, 6], ta: true, tb: true },
];

for (const c of cases) {
  test(`matMul ${JSON.stringify(c)} forward and gradients`, async () => {
    await assertParity('matMul', () =>
      valueAndGrads((a, b) => tf.matMul(a!, b!, c.ta, c.tb), [randomTensor(c.a, 1), randomTensor(c.b, 2)]));
  });
}

// Batch broadcasting: tfjs's BatchMatMul gradient does not reduce over
// broadcast batches (it fails on cpu too), so only the forward pass.
for (const [a, b] of [[[4, 5, 6], [6, 3]], [[1, 5, 6], [3, 6, 2]], [[5, 6], [2, 6, 3]]]) {
  test(`matMul with broadcast batch [${a}] x [${b}]`, async () => {
    await assertParity('matMul', () => tf.matMul(randomTensor(a!, 1), randomTensor(b!, 2)));
  });
}

for (const activation of ['linear', 'relu', 'leakyrelu', 'elu', 'sigmoid', 'relu6', 'prelu'] as const) {
  test(`fused matMul with bias and ${activation}`, async () => {
    await assertParity(activation, () => {
      const prelu = activation === 'prelu' ? randomTensor([3], 4) : undefined;
      return valueAndGrads((a, b, bias) => tf.fused.matMul({
        a: a!, b: b!, bias, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.1,
      }), [randomTensor([6, 5], 1), randomTensor([5, 3], 2), randomTensor([3], 3)]);
    });
  });
}
