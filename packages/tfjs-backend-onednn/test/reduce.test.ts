import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { assertParity, ensureBackend, randomTensor, valueAndGrads } from './parity.js';

before(ensureBackend);

// Every non-empty subset of the axes of a rank-4 tensor, plus negative axes.
const rank = 4;
const axisSets: number[][] = [];
for (let mask = 1; mask < 1 << rank; ++mask) {
  axisSets.push([...Array(rank).keys()].filter((a) => mask & (1 << a)));
}
axisSets.push([-1], [-3, -1]);

const reductions: [string, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor][] = [
  ['sum', tf.sum], ['mean', tf.mean], ['max', tf.max], ['min', tf.min], ['prod', tf.prod],
];

for (const [name, op] of reductions) {
  test(`${name} over every axis pattern, keepDims both ways, forward and gradients`, async () => {
    for (const axes of axisSets) {
      for (const keep of [false, true]) {
        // tfjs's Prod gradient cannot take negative axes (on any backend)
        const withGrads = name !== 'prod' || axes.every((a) => a >= 0);
        await assertParity(`${name} axes [${axes}] keepDims ${keep}`, () => {
          const x = randomTensor([3, 4, 2, 5], 7);
          return withGrads ? valueAndGrads((t) => op(t!, axes, keep), [x]) : op(x, axes, keep);
        });
      }
    }
  });
}

test('reductions over all axes by default', async () => {
  await assertParity('all', () => {
    const x = randomTensor([4, 3, 5], 2);
    return [tf.sum(x), tf.mean(x), tf.max(x), tf.min(x)];
  });
});

test('long sums stay accurate', async () => {
  await assertParity('long', () => {
    const x = tf.add(randomTensor([64, 14, 14, 8], 3), 3);
    return [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2]), tf.sum(x)];
  });
});
