// Memory-bound kernels on several threads: the same values as the cpu backend, the same bits
// on every run, and (for elementwise work) the same bits as on one thread. By default these
// loops are split from 1M elements; the bound is lowered here
// (the addon reads it at its first parallel decision, after this module is evaluated).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused, setThreads } from '../src/index.js';
import { assertParity, ensureBackend, randomTensor, runOn, valueAndGrads } from './parity.js';

process.env.GANTRY_PARALLEL_MIN_ELEMENTS = '65536';
const THREADS = 3;

before(() => {
  ensureBackend();
  setThreads(THREADS);
});
after(() => setThreads(1));

// big enough (>= 65,536 floats) to run in parallel here
const big = [8, 32, 32, 16];

/** Each case: onednn on 3 threads against cpu, and twice on 3 threads bit for bit. */
const cases: Record<string, () => tf.Tensor[]> = {
  'unary and same-shape binary': () => [tf.relu(randomTensor(big, 1)), tf.mul(randomTensor(big, 2), randomTensor(big, 3)), tf.exp(randomTensor(big, 4))],
  'binary broadcast over channels (outer rows)': () => [tf.add(randomTensor(big, 5), randomTensor([16], 6)), tf.sub(randomTensor([16], 7), randomTensor(big, 8))],
  'binary broadcast of one row (one long run)': () => [tf.mul(randomTensor([131072], 9), randomTensor([131072], 10)), tf.add(randomTensor([131072], 11), tf.scalar(2))],
  'leaky relu gradient': () => valueAndGrads((x) => fused.leakyRelu(x, 0.2), [randomTensor(big, 12)]),
  'sums over outer and over inner axes': () => {
    const x = randomTensor(big, 13);
    return [tf.sum(x, [0, 1, 2]), tf.sum(x, 3), tf.mean(x), tf.max(x, [0, 1, 2]), tf.min(x, 0), tf.sum(randomTensor([131072], 14))];
  },
  'batch norm training, forward and backward': () => {
    const x = randomTensor(big, 15);
    const gamma = randomTensor([16], 16);
    const beta = randomTensor([16], 17);
    const r = fused.batchNormTraining(x, gamma, beta, 1e-3);
    return [r.y, r.mean, r.variance, ...valueAndGrads((a, g, b) => fused.batchNormTraining(a!, g!, b!, 1e-3).y, [x, gamma, beta])];
  },
  'upsampling and pooling': () => [
    ...valueAndGrads((x) => fused.upsample2x(x as tf.Tensor4D), [randomTensor(big, 18)]),
    ...valueAndGrads((x) => fused.avgPool2x(x as tf.Tensor4D), [randomTensor(big, 19)]),
  ],
  'addN and select': () => [tf.addN([randomTensor(big, 20), randomTensor(big, 21), randomTensor(big, 22)]),
    tf.where(tf.greater(randomTensor(big, 23), 0), randomTensor(big, 24), randomTensor(big, 25))],
};

for (const [name, run] of Object.entries(cases)) {
  test(`three threads: ${name} match cpu and repeat bit for bit`, async () => {
    await assertParity(name, run);
    const first = await runOn('onednn', run);
    const second = await runOn('onednn', run);
    first.forEach((s, i) => assert.deepEqual(second[i]!.values, s.values, `${name}: output ${i} changed between runs`));
  });
}

test('elementwise work gives the same bits on one and three threads', async () => {
  const run = cases['unary and same-shape binary']!;
  const three = await runOn('onednn', run);
  setThreads(1);
  const one = await runOn('onednn', run);
  setThreads(THREADS);
  one.forEach((s, i) => assert.deepEqual(three[i]!.values, s.values));
});

test('optimizer updates split across threads give the same bits as on one thread', async () => {
  // 110,021 floats in all, so the update runs on three threads; the cuts fall inside the
  // large parameters, and the small ones sit between them
  const sizes = [70001, 3, 40000, 17];
  const update = (threads: number, kind: 'adam' | 'sgd' | 'ema') => {
    setThreads(threads);
    const params = sizes.map((n, i) => tf.variable(randomTensor([n], 30 + i)));
    const grads = sizes.map((n, i) => randomTensor([n], 40 + i));
    const m = sizes.map((n, i) => tf.variable(randomTensor([n], 50 + i)));
    const v = sizes.map((n, i) => tf.variable(tf.abs(randomTensor([n], 60 + i))));
    if (kind === 'adam') fused.adamUpdate(params, grads, m, v, 1e-3, 0.9, 0.999, 1e-7);
    else if (kind === 'sgd') fused.sgdUpdate(params, grads, 0.1);
    else fused.emaUpdate(params, grads, 0.99);
    const out = [...params, ...m, ...v].map((t) => t.dataSync().slice());
    tf.dispose([...params, ...grads, ...m, ...v]);
    return out;
  };
  for (const kind of ['adam', 'sgd', 'ema'] as const) {
    const before = sizes.map((n, i) => randomTensor([n], 30 + i).dataSync());
    const one = update(1, kind);
    const three = update(THREADS, kind);
    three.forEach((values, i) => assert.deepEqual(values, one[i], `${kind}: array ${i} differs between one and three threads`));
    // every parameter moved, including the pieces on either side of each cut
    sizes.forEach((n, i) => {
      for (const at of [0, Math.floor(n / 2), n - 1]) assert.notEqual(three[i]![at], before[i]![at], `${kind}: parameter ${i}[${at}] did not move`);
    });
  }
  setThreads(THREADS);
});
