// The register-tiled filter and input gradients for strided layers with 64 or more channels on
// both sides (native/tiledconv.cc): the same values as the cpu backend on every path through
// them (channel counts that leave partial tiles, image counts that leave a partial group, rows
// that split into several tiles, paddings, strides), the same bits on one, two and three
// threads, and the choice of kernel as documented; on every CPU tier this CPU has, with the
// kernels on wherever they fit (GANTRY_TILED_CONV=1; cpu_tiers.test.ts checks each tier's
// defaults).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { nativeAddon } from '../src/addon.js';
import { convGeometry } from '../src/kernels/conv_utils.js';
import { setThreads } from '../src/index.js';
import { ensureBackend, randomTensor, relativeError, runInChild, runOn, testConvCases, testOnLowerCpuTiers, valueAndGrads, type ConvCase } from './parity.js';

process.env.GANTRY_TILED_CONV ??= '1';  // read when the first convolution runs
before(ensureBackend);
after(() => setThreads(1));
testOnLowerCpuTiers(import.meta.url);

/** What conv2dImplementation calls the tiled kernels on the tier in use. */
const tiled = () => `tiled:${nativeAddon().cpuTier()}`;

const cases: ConvCase[] = [
  { name: '64 to 128 channels, 4x4 stride 2, 14x14 (dcgan-mnist\'s layer)', x: [3, 14, 14, 64], k: 4, cout: 128, stride: 2, pad: 'same' },
  // 70 input channels: 11 tiles of 6 and one of 4; 80 outputs: a tile of 4 vectors and one of 1
  { name: '70 to 80 channels, 3x3 stride 2, valid, odd sizes', x: [5, 9, 11, 70], k: 3, cout: 80, stride: 2, pad: 'valid' },
  // 11 images: a group of 8 and one of 3; 144 outputs: tiles of 4, 4 and 1 vectors
  { name: '96 to 144 channels, 4x4 stride 2, 11 images', x: [11, 8, 10, 96], k: 4, cout: 144, stride: 2, pad: 'same' },
  { name: '64 channels, 5x5 stride 3, explicit padding', x: [2, 10, 9, 64], k: 5, cout: 64, stride: 3, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { name: '64 channels, 1x1 stride 2', x: [4, 8, 7, 64], k: 1, cout: 64, stride: 2, pad: 'valid' },
  // a filter bigger than one block of tiles (128 x 256 x 16 taps: 6 blocks); too big for the
  // input gradient's kernel, which leaves it to oneDNN
  { name: '128 to 256 channels, 4x4 stride 2, 8x8', x: [2, 8, 8, 128], k: 4, cout: 256, stride: 2, pad: 'same' },
  // input gradient: 80 channels are vectors of 2, 2 and 1; rows of 10 output pixels split into
  // two tiles of 5, and 9 rows into four tiles two rows high and one a row high
  { name: '80 to 64 channels, 3x3 stride 2, 19x21, valid', x: [3, 19, 21, 80], k: 3, cout: 64, stride: 2, pad: 'valid' },
];

testConvCases('conv2d with the tiled gradients', cases, 1e-5);

/** The name of the kernel that runs the filter gradient (kind 2) or input gradient (kind 1) of conv2d(x, [k, k, cin, cout]). */
function gradientKernel(kind: 1 | 2, x: number[], k: number, cout: number, stride: number): string {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], [k, k, x[3]!, cout], stride, 1, 'same');
  return nativeAddon().conv2dImplementation(kind, convGeometry(info)!, 0, 0, 0);
}
const filterGradientKernel = (x: number[], k: number, cout: number, stride: number) => gradientKernel(2, x, k, cout, stride);

test('the tiled gradients run for strided layers with 64 or more channels on both sides, oneDNN elsewhere', async () => {
  await runOn('onednn', () => [[2, 8, 8, 32, 4, 64, 2], [2, 8, 8, 64, 3, 64, 1]].flatMap(([n, h, w, cin, k, cout, s]) =>
    valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s!, 'same'), [randomTensor([n!, h!, w!, cin!], 1), randomTensor([k!, k!, cin!, cout!], 2)])));
  assert.equal(filterGradientKernel([2, 14, 14, 64], 4, 128, 2), tiled());
  assert.equal(filterGradientKernel([2, 8, 8, 128], 4, 256, 2), tiled());
  const narrow = filterGradientKernel([2, 8, 8, 32], 4, 64, 2);
  assert.ok(narrow.length > 0 && narrow !== tiled(), `32 input channels: ${narrow}`);
  const unstrided = filterGradientKernel([2, 8, 8, 64], 3, 64, 1);
  assert.ok(unstrided.length > 0 && unstrided !== tiled(), `stride 1: ${unstrided}`);
  // the input gradient: while its filter (transposed) stays within 1 MB
  assert.equal(gradientKernel(1, [2, 14, 14, 64], 4, 128, 2), tiled());
  await runOn('onednn', () => valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'),
    [randomTensor([2, 8, 8, 128], 1), randomTensor([4, 4, 128, 256], 2)]));
  const large = gradientKernel(1, [2, 8, 8, 128], 4, 256, 2);
  assert.ok(large.length > 0 && large !== tiled(), `a 2 MB filter: ${large}`);
  const narrowData = gradientKernel(1, [2, 8, 8, 32], 4, 64, 2);
  assert.ok(narrowData.length > 0 && narrowData !== tiled(), `32 input channels: ${narrowData}`);
});

test('the tiled gradients give the same bits on one, two and three threads', async () => {
  // 24 images: 410 MFLOP, well above the bound for running on more than one thread
  const run = () => runOn('onednn', () => valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'),
    [randomTensor([24, 14, 14, 64], 3), randomTensor([4, 4, 64, 128], 4)]));
  const byThreads: tf.TypedArray[][] = [];
  try {
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      byThreads.push((await run()).map((s) => s.values));
    }
  } finally {
    setThreads(1);
  }
  const [one, ...more] = byThreads;
  assert.equal(one!.length, 3);
  for (const other of more) {
    assert.deepEqual(other[1], one![1], 'the input gradient differs between thread counts');
    assert.deepEqual(other[2], one![2], 'the filter gradient differs between thread counts');
  }
});

test('GANTRY_TILED_CONV=0 leaves both gradients to oneDNN, with the same values to rounding', () => {
  const body = `
    const x = randomTensor([4, 14, 14, 64], 1), w = randomTensor([4, 4, 64, 128], 2), probe = randomTensor([4, 7, 7, 128], 3);
    const [dx, dw] = tf.grads((a, f) => tf.sum(tf.mul(tf.conv2d(a, f, 2, 'same'), probe)))([x, w]).map((t) => t.dataSync());
    const info = tf.backend_util.computeConv2DInfo([4, 14, 14, 64], [4, 4, 64, 128], 2, 1, 'same');
    const impl = [1, 2].map((kind) => nativeAddon().conv2dImplementation(kind, convGeometry(info), 0, 0, 0));
    console.log(JSON.stringify({ impl, dx: Array.from(dx), dw: Array.from(dw) }));
  `;
  const run = (env: NodeJS.ProcessEnv) => runInChild<{ impl: string[]; dx: number[]; dw: number[] }>(body, env);
  const on = run({});
  const off = run({ GANTRY_TILED_CONV: '0' });
  assert.deepEqual(on.impl, [tiled(), tiled()]);
  for (const impl of off.impl) assert.ok(impl.length > 0 && impl !== tiled(), `GANTRY_TILED_CONV=0: ${off.impl}`);
  assert.equal(on.dx.length, 4 * 14 * 14 * 64);
  assert.equal(on.dw.length, 4 * 4 * 64 * 128);
  assert.ok(relativeError(on.dx, off.dx) < 1e-5, `input gradient: relative error ${relativeError(on.dx, off.dx)}`);
  assert.ok(relativeError(on.dw, off.dw) < 1e-5, `filter gradient: relative error ${relativeError(on.dw, off.dw)}`);
});
