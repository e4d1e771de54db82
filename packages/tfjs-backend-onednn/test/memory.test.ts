import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused } from '../src/index.js';
import { POOL_IDLE_OUTPUTS } from '../src/backend.js';
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

// Output buffers of 16,384 floats and more are reused once their tensor is disposed.
const BIG = [128, 160];

/** The onednn backend, current and with an empty pool. */
async function emptyPool(): Promise<{ pooledMemoryBytes(): number }> {
  await tf.setBackend('onednn');
  const backend = tf.backend() as unknown as { pooledMemoryBytes(): number; releasePooledMemory(): void };
  backend.releasePooledMemory();
  return backend;
}

test('a released output buffer is reused for the next output of its size', async () => {
  const backend = await emptyPool();
  const x = randomTensor(BIG, 1);
  const y = tf.exp(x);
  y.dispose();
  assert.equal(backend.pooledMemoryBytes(), 128 * 160 * 4);
  const z = tf.exp(x);
  assert.equal(backend.pooledMemoryBytes(), 0, 'the pooled buffer was taken');
  const want = Array.from(x.dataSync(), Math.exp);
  const got = z.dataSync();
  for (let i = 0; i < want.length; i += 997) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.abs(want[i]!));
  tf.dispose([x, z]);
});

test('an array read with dataSync is not changed when its buffer is reused', async () => {
  await emptyPool();
  const x = randomTensor(BIG, 2);
  const y = tf.exp(x);
  const kept = y.dataSync();
  const copy = Float32Array.from(kept);
  y.dispose();
  const z = tf.neg(x); // same size: takes y's buffer
  assert.deepEqual(kept, copy);
  assert.ok(z.dataSync()[0]! === -x.dataSync()[0]!);
  tf.dispose([x, z]);
});

test('a buffer that another tensor views is never reused', async () => {
  const backend = await emptyPool();
  const x = randomTensor(BIG, 3);
  const y = tf.exp(x);
  // The cpu backend's Unpack returns rows as views of y's storage.
  const rows = tf.unstack(y);
  const row5 = Float32Array.from(rows[5]!.dataSync());
  y.dispose();
  assert.equal(backend.pooledMemoryBytes(), 0, 'a viewed buffer was pooled');
  const z = tf.neg(x);
  assert.deepEqual(rows[5]!.dataSync(), row5);
  tf.dispose([x, z, ...rows]);
});

test('a buffer shared by two tensors is released only by the last of them', async () => {
  const backend = await emptyPool();
  const x = randomTensor(BIG, 4);
  const y = tf.exp(x);
  const r = tf.reshape(y, [160, 128]); // shares y's storage
  const want = Float32Array.from(r.dataSync());
  y.dispose();
  assert.equal(backend.pooledMemoryBytes(), 0);
  const z = tf.neg(x);
  assert.deepEqual(r.dataSync(), want);
  r.dispose();
  assert.equal(backend.pooledMemoryBytes(), 128 * 160 * 4);
  tf.dispose([x, z]);
});

test('buffers of a length unused for a while are dropped from the pool', async () => {
  const backend = await emptyPool();
  const x = randomTensor([130, 130], 5); // a length no other test uses
  tf.exp(x).dispose();
  assert.equal(backend.pooledMemoryBytes(), 130 * 130 * 4);
  // other work: small outputs, and a big length that keeps being reused
  const y = randomTensor(BIG, 6);
  for (let i = 0; i < POOL_IDLE_OUTPUTS; i++) {
    tf.tidy(() => {
      tf.neg(y);
      tf.add(tf.scalar(i), tf.scalar(1));
    });
  }
  assert.equal(backend.pooledMemoryBytes(), 128 * 160 * 4, 'only the reused length stays pooled');
  tf.dispose([x, y]);
});

test('the pool keeps up to 64 released buffers of one length (a residual step holds dozens at once)', async () => {
  const backend = await emptyPool();
  const live = Array.from({ length: 40 }, (_, i) => tf.relu(randomTensor([128, 160], 30 + i)));
  tf.dispose(live);
  assert.equal(backend.pooledMemoryBytes(), 40 * 128 * 160 * 4, 'every released buffer was kept');
  const again = Array.from({ length: 40 }, (_, i) => tf.relu(randomTensor([128, 160], 80 + i)));
  assert.equal(backend.pooledMemoryBytes(), 0, 'all 40 outputs came from the pool');
  tf.dispose(again);
  const more = Array.from({ length: 70 }, (_, i) => tf.relu(randomTensor([128, 160], 130 + i)));
  tf.dispose(more);
  assert.equal(backend.pooledMemoryBytes(), 64 * 128 * 160 * 4, 'at most 64 of a length');
});
