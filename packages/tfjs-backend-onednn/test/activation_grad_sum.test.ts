// The gradient of a convolution with relu or leaky relu, taken back through the activation
// together with the bias gradient in one kernel (ActivationGradSum): the same bits as the two
// kernels it replaces, on one thread and on two, and differentiable once more.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused, fusedReference, setThreads } from '../src/index.js';
import { ActivationGradSum, LeakyReluGrad } from '../src/kernels/custom_kernel_names.js';
import { assertParity, ensureBackend, randomTensor } from './parity.js';

before(ensureBackend);
after(() => setThreads(1));

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
}

// The last shape has over 1M values, where the sum over rows is split between two threads.
for (const threads of [1, 2]) for (const [shape, alpha] of [[[3, 5, 7, 16], 0.2], [[2, 4, 4, 1], 0], [[2, 3, 3, 37], 0.1], [[16, 32, 32, 64], 0.2]] as const) {
  test(`ActivationGradSum [${shape}], alpha ${alpha}, ${threads} thread(s): the bits of LeakyReluGrad then Sum`, async () => {
    await tf.setBackend('onednn');
    setThreads(threads);
    tf.tidy(() => {
      const dy = randomTensor([...shape], 1);
      const y = tf.sub(randomTensor([...shape], 2), 0.1);
      const [g, sum] = tf.engine().runKernel(ActivationGradSum, { dy, y }, { alpha }) as tf.Tensor[];
      const g2 = tf.engine().runKernel(LeakyReluGrad, { dy, x: y }, { alpha }) as tf.Tensor;
      const sum2 = tf.sum(g2, [0, 1, 2]);
      assert.deepEqual(g!.shape, [...shape]);
      assert.deepEqual(sum!.shape, [shape[3]]);
      assert.deepEqual(bits(g!), bits(g2));
      assert.deepEqual(bits(sum!), bits(sum2));
      // and the values are the gradient: a negative y scales dy by alpha
      const yv = y.dataSync(), dv = dy.dataSync(), gv = g!.dataSync();
      const i = yv.findIndex((v) => v < 0);
      assert.ok(i >= 0);
      assert.equal(gv[i], Math.fround(alpha * dv[i]!));
    });
    setThreads(1);
  });
}

test('conv2dBias with leaky relu differentiated twice (through the bias gradient) matches the plain ops on cpu', async () => {
  await assertParity('second derivatives', () => {
    const impl = tf.getBackend() === 'onednn' ? fused : fusedReference;
    const x = randomTensor([2, 6, 6, 3], 3);
    const w = randomTensor([3, 3, 3, 8], 4);
    const b = randomTensor([8], 5);
    const probe = randomTensor([2, 3, 3, 8], 6);
    const penalty = (ww: tf.Tensor, bb: tf.Tensor) => {
      const [gx, gb] = tf.grads((xx: tf.Tensor, b2: tf.Tensor) =>
        // squared, so that the gradient arriving at the activation depends on w and b
        tf.sum(tf.mul(tf.square(impl.conv2dBias(xx as tf.Tensor4D, ww as tf.Tensor4D, b2, 2, 'same', 'leakyrelu', 0.2)),
          probe)))([x, bb]);
      return tf.add(tf.sum(tf.square(gx!)), tf.sum(tf.square(gb!)));
    };
    const [dw, db] = tf.grads(penalty)([w, b]);
    return [penalty(w, b), dw!, db!];
  });
});
