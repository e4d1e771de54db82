import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { assertParity, ensureBackend, randomTensor, testConvCases, valueAndGrads, type ConvCase } from './parity.js';

before(ensureBackend);

const cases: ConvCase[] = [
  { name: 's1 same', x: [2, 7, 7, 3], k: 3, cout: 4, stride: 1, pad: 'same' },
  { name: 's2 same odd', x: [2, 9, 7, 3], k: 4, cout: 5, stride: 2, pad: 'same' },
  { name: 's1 valid', x: [1, 8, 6, 2], k: 3, cout: 3, stride: 1, pad: 'valid' },
  { name: 's2 valid odd', x: [3, 9, 9, 2], k: 3, cout: 4, stride: 2, pad: 'valid' },
  { name: 's2 explicit', x: [2, 6, 7, 3], k: 3, cout: 2, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 's1 explicit', x: [1, 5, 5, 4], k: 2, cout: 3, stride: 1, pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
  // few input channels and at least 32 output ones: the input gradient runs as a matrix product
  // and a shift-and-add of the kernel taps
  { name: 'one input channel, s2 same', x: [3, 8, 8, 1], k: 4, cout: 32, stride: 2, pad: 'same' },
  { name: 'one output channel, s1 same', x: [2, 6, 5, 7], k: 3, cout: 1, stride: 1, pad: 'same' },
  { name: 'three output channels, 64x64', x: [5, 64, 64, 8], k: 3, cout: 3, stride: 1, pad: 'same' },
  { name: 'three input channels, 64x64: the input gradient in groups', x: [5, 64, 64, 3], k: 3, cout: 32, stride: 1, pad: 'same' },
  { name: 'three input channels to 16 (left to oneDNN)', x: [2, 9, 9, 3], k: 3, cout: 16, stride: 1, pad: 'same' },
  // strided, 32 or more channels on both sides: the filter gradient runs on blocked layouts (x and dy
  // reordered into a shared scratch buffer; the second case needs a larger one)
  { name: '32 to 48 channels, s2 same: blocked filter gradient', x: [3, 9, 9, 32], k: 4, cout: 48, stride: 2, pad: 'same' },
  { name: '40 to 33 channels, s2 valid: blocked, channels not a multiple of 16', x: [2, 11, 10, 40], k: 3, cout: 33, stride: 2, pad: 'valid' },
];

testConvCases('conv2d forward and gradients', cases);

test('conv2d with dilation 2 (forward)', async () => {
  await assertParity('dilated', () =>
    tf.conv2d(randomTensor([2, 9, 8, 3], 3) as tf.Tensor4D, randomTensor([3, 3, 3, 4], 4) as tf.Tensor4D, 1, 'same',
      'NHWC', 2));
});

test('conv2dTranspose to one channel (a generator\'s last layer), stride 2 same', async () => {
  await assertParity('transpose to one channel', () => {
    const x = randomTensor([3, 7, 7, 32], 11);
    const w = randomTensor([4, 4, 1, 32], 12);
    return valueAndGrads((a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [3, 14, 14, 1], 2, 'same'), [x, w]);
  });
});

for (const pad of ['same', 'valid'] as const) {
  for (const stride of [1, 2]) {
    test(`conv2dTranspose forward and gradients, stride ${stride} ${pad}`, async () => {
      await assertParity(`transpose ${stride} ${pad}`, () => {
        const x = randomTensor([2, 5, 4, 6], 5);
        const w = randomTensor([4, 4, 3, 6], 6); // [h, w, outChannels, inChannels]
        const outH = pad === 'same' ? 5 * stride : (5 - 1) * stride + 4;
        const outW = pad === 'same' ? 4 * stride : (4 - 1) * stride + 4;
        return valueAndGrads((a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, outH, outW, 3],
          stride, pad), [x, w]);
      });
    });
  }
}

for (const activation of ['linear', 'relu', 'leakyrelu', 'elu', 'sigmoid', 'relu6', 'prelu'] as const) {
  test(`fused conv2d with bias and ${activation}`, async () => {
    await assertParity(activation, () => {
      const x = randomTensor([2, 6, 6, 3], 7);
      const w = randomTensor([3, 3, 3, 4], 8);
      const bias = randomTensor([4], 9);
      const prelu = activation === 'prelu' ? randomTensor([4], 10) : undefined;
      return valueAndGrads((a, b, c) => tf.fused.conv2d({
        x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same', bias: c, activation,
        preluActivationWeights: prelu, leakyreluAlpha: 0.3,
      }), [x, w, bias]);
    });
  });
}
