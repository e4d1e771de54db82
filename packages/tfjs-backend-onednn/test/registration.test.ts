import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { registerOnednnBackend } from '../src/index.js';

test('registration is idempotent and covers every cpu kernel', () => {
  assert.equal(registerOnednnBackend(), true);
  assert.equal(registerOnednnBackend(), true);
  const onednn = new Set(tf.getKernelsForBackend('onednn').map((k) => k.kernelName));
  const missing = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((name) => !onednn.has(name));
  assert.deepEqual(missing, []);
  for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', 'Sum', 'Add']) {
    assert.notEqual(tf.getKernel(name, 'onednn')!.kernelFunc, tf.getKernel(name, 'cpu')!.kernelFunc, name);
  }
});

test('the backend is not chosen implicitly', async () => {
  registerOnednnBackend();
  await tf.setBackend('cpu');
  assert.equal(tf.getBackend(), 'cpu');
  await tf.setBackend('onednn');
  assert.equal(tf.getBackend(), 'onednn');
});
