// The direct kernels for layers with an image's few channels on one side (native/fewconv.cc):
// forward, input and filter gradients against the cpu backend, for every path they take, and
// the same bits on one and on three threads; on every CPU tier this CPU has, with the kernels
// on wherever they fit (GANTRY_FEW_CHANNEL_KERNELS=1; cpu_tiers.test.ts checks each tier's
// defaults).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { setThreads } from '../src/index.js';
import { assertParity, ensureBackend, randomTensor, runOn, testConvCases, testOnLowerCpuTiers, valueAndGrads, type ConvCase, type ConvPad } from './parity.js';

process.env.GANTRY_FEW_CHANNEL_KERNELS ??= '1';  // read when the first convolution runs
before(ensureBackend);
after(() => setThreads(1));
testOnLowerCpuTiers(import.meta.url);

const cases: ConvCase[] = [
  // few input channels: forward in blocks of columns (64 outputs), input gradient by taps,
  // filter gradient with the taps in registers
  { name: '1 to 64 channels, 4x4 stride 2 (an MNIST discriminator\'s first layer)', x: [3, 12, 12, 1], k: 4, cout: 64, stride: 2, pad: 'same' },
  { name: '1 to 32 channels, 4x4 stride 2, odd size, valid', x: [9, 13, 11, 1], k: 4, cout: 32, stride: 2, pad: 'valid' },
  { name: '3 to 16 channels, 3x3 (forward with the filter in registers)', x: [9, 10, 9, 3], k: 3, cout: 16, stride: 1, pad: 'same' },
  { name: '3 to 16 channels, 3x3 stride 2, explicit padding', x: [2, 9, 10, 3], k: 3, cout: 16, stride: 2, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { name: '3 to 16 channels, 1x1', x: [2, 6, 5, 3], k: 1, cout: 16, stride: 1, pad: 'valid' },
  { name: '3 to 32 channels, 4x4 stride 2 (three vectors of taps)', x: [2, 8, 8, 3], k: 4, cout: 32, stride: 2, pad: 'same' },
  { name: '2 to 48 channels, 5x5', x: [2, 7, 8, 2], k: 5, cout: 48, stride: 1, pad: 'same' },
  // few output channels: forward with the filter in registers or by blocks, filter gradient
  { name: '16 to 3 channels, 3x3 (a generator\'s last layer)', x: [3, 9, 8, 16], k: 3, cout: 3, stride: 1, pad: 'same' },
  { name: '16 to 1 channel, 4x4 stride 2', x: [2, 10, 10, 16], k: 4, cout: 1, stride: 2, pad: 'same' },
  { name: '32 to 3 channels, 3x3 (two vectors of input channels)', x: [9, 7, 6, 32], k: 3, cout: 3, stride: 1, pad: 'valid' },
  { name: '16 to 4 channels, 4x4 (a filter too big for registers)', x: [2, 8, 9, 16], k: 4, cout: 4, stride: 1, pad: 'same' },
];

testConvCases('few-channel conv2d forward and gradients', cases, 1e-5);

// Seeded random geometries around the cases above: few channels on either side, kernels 1 to
// 5, strides 1 to 3, every padding kind, odd sizes and image counts.
const fuzz: ConvCase[] = (() => {
  let state = 12345;
  const pick = <T>(xs: readonly T[]): T => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return xs[(state >>> 8) % xs.length]!;
  };
  return Array.from({ length: 24 }, (_, i) => {
    const few = pick([1, 2, 3, 4] as const);
    const many = pick([16, 32, 48, 64] as const);
    const fewIn = pick([true, false] as const);
    const k = pick([1, 2, 3, 4, 5] as const);
    const stride = pick([1, 2, 3] as const);
    const h = k + pick([0, 1, 4, 8] as const);
    const w = k + pick([0, 2, 5, 7] as const);
    const explicit = (): ConvPad => [[0, 0], [pick([0, 1, 2] as const), pick([0, 1, 2] as const)], [pick([0, 1, 2] as const), pick([0, 2] as const)], [0, 0]];
    const pad = pick(['same', 'valid', 'explicit'] as const);
    return {
      name: `random ${i}: ${fewIn ? few : many} to ${fewIn ? many : few} channels, ${k}x${k} stride ${stride}, ${pad}`,
      x: [pick([1, 2, 9] as const), h, w, fewIn ? few : many], k, cout: fewIn ? many : few, stride,
      pad: pad === 'explicit' ? explicit() : pad,
    };
  });
})();
testConvCases('few-channel conv2d forward and gradients', fuzz, 1e-5);

test('few-channel conv2d with dilation 2 (forward)', async () => {
  await assertParity('dilated', () => [
    tf.conv2d(randomTensor([2, 11, 10, 1], 3) as tf.Tensor4D, randomTensor([3, 3, 1, 32], 4) as tf.Tensor4D, 1, 'same', 'NHWC', 2),
    tf.conv2d(randomTensor([2, 11, 10, 16], 5) as tf.Tensor4D, randomTensor([3, 3, 16, 3], 6) as tf.Tensor4D, 1, 'same', 'NHWC', 2),
  ], 1e-5);
});

for (const activation of ['linear', 'relu', 'leakyrelu', 'elu'] as const) {
  test(`few-channel fused conv2d with bias and ${activation}`, async () => {
    await assertParity(activation, () => {
      const out: tf.Tensor[] = [];
      for (const [cin, cout] of [[3, 16], [1, 64], [16, 3]] as const) {
        const x = randomTensor([2, 8, 8, cin], 7);
        const w = randomTensor([3, 3, cin, cout], 8);
        const bias = randomTensor([cout], 9);
        out.push(...valueAndGrads((a, b, c) => tf.fused.conv2d({
          x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation, leakyreluAlpha: 0.2,
        }), [x, w, bias]));
      }
      return out;
    }, 1e-5);
  });
}

test('few-channel fused conv2d: a NaN input stays NaN through relu and leaky relu, and only where it is read', async () => {
  // (the cpu backend's fused leaky relu turns every output NaN once one is, so the check is
  // direct: a 3x3 window reads pixel (1, 1) from output pixels (0..2, 0..2))
  const window = new Set([0, 1, 2, 6, 7, 8, 12, 13, 14]);
  const got = await runOn('onednn', () => {
    const out: tf.Tensor[] = [];
    for (const [cin, cout] of [[3, 16], [1, 64], [16, 3]] as const) {
      const values = randomTensor([1, 6, 6, cin], 12).dataSync().slice();
      values[7 * cin] = Number.NaN;
      const x = tf.tensor4d(values, [1, 6, 6, cin]);
      for (const activation of ['relu', 'leakyrelu'] as const) {
        out.push(tf.fused.conv2d({ x, filter: randomTensor([3, 3, cin, cout], 13) as tf.Tensor4D, strides: 1, pad: 'same', bias: randomTensor([cout], 14), activation }));
      }
    }
    return out;
  });
  assert.equal(got.length, 6);
  for (const s of got) {
    const channels = s.shape[3]!;
    Array.from(s.values).forEach((v, i) => {
      assert.equal(Number.isNaN(v), window.has(Math.floor(i / channels)), `output element ${i} of shape ${s.shape}: ${v}`);
    });
  }
});

test('few-channel convolutions give the same bits on one and three threads', async () => {
  // 16 images of 32x32: every call is above the bound for splitting images over threads
  const run = () => {
    const out: tf.Tensor[] = [];
    for (const [cin, cout, k, stride] of [[3, 16, 3, 1], [1, 64, 4, 2], [16, 3, 3, 1]] as const) {
      const x = randomTensor([19, 32, 32, cin], 10);
      const w = randomTensor([k, k, cin, cout], 11);
      out.push(...valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same'), [x, w]));
    }
    return out;
  };
  setThreads(1);
  const one = await runOn('onednn', run);
  setThreads(3);
  const three = await runOn('onednn', run);
  setThreads(1);
  assert.equal(three.length, 9);
  one.forEach((s, i) => assert.deepEqual(three[i]!.values, s.values, `output ${i} differs between 1 and 3 threads`));
  await assertParity('one thread, large', run, 1e-5);
});
