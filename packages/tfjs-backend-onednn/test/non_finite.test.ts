// NaN and infinities go through every fused activation, on every convolution and matrix-product
// path, and through every reduction, as they do on TF.js's cpu backend: a NaN stays NaN, an
// infinity keeps its sign where the op keeps it. (Divergence detection relies on NaN surviving.)
// The reference is the cpu backend's unfused ops (conv2d, add, then the activation), whose
// element-wise kernels define TF.js's semantics; its fused leaky relu makes every output NaN
// once one is, which is not a rule anyone relies on. A convolution's filter gradient reads its
// padding as TF.js does: a NaN in dy reaches only the taps that multiply it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { nativeAddon } from '../src/addon.js';
import { convGeometry } from '../src/kernels/conv_utils.js';
import { ensureBackend, randomValues, runOn, testOnLowerCpuTiers } from './parity.js';

before(ensureBackend);
// every CPU tier's kernels (and oneDNN capped to the same ISA)
testOnLowerCpuTiers(import.meta.url);

type Activation = 'relu' | 'relu6' | 'leakyrelu' | 'sigmoid' | 'elu';
const activations: Activation[] = ['relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'];
const ALPHA = 0.2;

function activate(y: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu': return tf.relu(y);
    case 'relu6': return tf.relu6(y);
    case 'leakyrelu': return tf.leakyRelu(y, ALPHA);
    case 'sigmoid': return tf.sigmoid(y);
    case 'elu': return tf.elu(y);
  }
}

/** Values in [-1, 1) with NaN, +Inf and -Inf planted at the given flat indices. */
function planted(size: number, seed: number, nan: number[], posInf: number[], negInf: number[]): Float32Array {
  const v = randomValues(size, seed);
  for (const i of nan) v[i] = Number.NaN;
  for (const i of posInf) v[i] = Number.POSITIVE_INFINITY;
  for (const i of negInf) v[i] = Number.NEGATIVE_INFINITY;
  return v;
}

/** Same NaN positions, same infinities, finite values within 1e-4 of the reference's scale. */
function assertSameNonFinite(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${label}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; ++i) if (Number.isFinite(want[i]!)) scale = Math.max(scale, Math.abs(want[i]!));
  let nans = 0;
  for (let i = 0; i < want.length; ++i) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w)) {
      nans++;
      assert.ok(Number.isNaN(g), `${label}: element ${i} is ${g}, the cpu backend gives NaN`);
    } else if (!Number.isFinite(w)) {
      assert.equal(g, w, `${label}: element ${i}`);
    } else {
      assert.ok(Math.abs(g - w) <= 1e-4 * (scale + 1e-12), `${label}: element ${i} is ${g}, the cpu backend gives ${w}`);
    }
  }
  assert.ok(nans > 0 || label.includes('no NaN'), `${label}: the case must produce NaN somewhere to test anything`);
}

interface ConvPath { name: string; x: [number, number, number, number]; k: number; cout: number; stride: number }

// Each path of the forward convolution: the few-channel kernels, oneDNN's direct kernels (NHWC
// and blocked), its Winograd kernels (3x3 stride 1, 32 channels and more, on CPUs that have
// them) and a 1x1 layer.
const convPaths: ConvPath[] = [
  { name: 'few input channels (3 to 16, 3x3)', x: [2, 8, 8, 3], k: 3, cout: 16, stride: 1 },
  { name: 'few output channels (16 to 3, 3x3)', x: [2, 8, 8, 16], k: 3, cout: 3, stride: 1 },
  { name: 'strided 64 to 128, 4x4 stride 2', x: [4, 8, 8, 64], k: 4, cout: 128, stride: 2 },
  { name: '3x3 stride 1, 64 channels (Winograd where the CPU has it)', x: [32, 8, 8, 64], k: 3, cout: 64, stride: 1 },
  { name: '1x1, 24 to 40 channels', x: [2, 5, 5, 24], k: 1, cout: 40, stride: 1 },
];

for (const path of convPaths) {
  test(`fused conv2d keeps NaN and infinities through every activation: ${path.name}`, async () => {
    const [n, h, w, c] = path.x;
    const size = n * h * w * c;
    // a NaN in image 0, +Inf in image 1 (another pixel), -Inf in the last image
    const pixel = (img: number, y: number, x: number) => ((img * h + y) * w + x) * c;
    const xs = planted(size, 3, [pixel(0, 1, 1)], [pixel(1 % n, 4, 5) + 1], [pixel(n - 1, 6, 2) + (c - 1)]);
    const filter = randomValues(path.k * path.k * c * path.cout, 4);
    const bias = randomValues(path.cout, 5);
    const conv = (act: Activation, fused: boolean) => {
      const x = tf.tensor4d(xs, path.x);
      const f = tf.tensor4d(filter, [path.k, path.k, c, path.cout]);
      const b = tf.tensor1d(bias);
      if (fused) return tf.fused.conv2d({ x, filter: f, strides: path.stride, pad: 'same', bias: b, activation: act, leakyreluAlpha: ALPHA });
      return activate(tf.add(tf.conv2d(x, f, path.stride, 'same'), b), act);
    };
    const want = await runOn('cpu', () => activations.map((act) => conv(act, false)));
    const got = await runOn('onednn', () => activations.map((act) => conv(act, true)));
    const impl = nativeAddon().conv2dImplementation(0, convGeometry(tf.backend_util.computeConv2DInfo(path.x, [path.k, path.k, c, path.cout], path.stride, 1, 'same'))!, 1, 0, 0);
    activations.forEach((act, i) => assertSameNonFinite(`${path.name}, ${act} (${impl || 'own kernel'})`, got[i]!.values, want[i]!.values));
  });
}

test('convolution gradients keep NaN to the elements that read it, on every path (Winograd included)', async () => {
  // the gradient of sum(conv(x, f) * probe): a NaN in x spoils the filter gradient's taps that read
  // it; a NaN in the probe (dy) spoils the input gradient where it is read
  for (const path of convPaths) {
    const [n, h, w, c] = path.x;
    const xs = planted(n * h * w * c, 11, [((0 * h + 2) * w + 3) * c + 1], [], []);
    const filter = randomValues(path.k * path.k * c * path.cout, 12);
    const grads = () => {
      const x = tf.tensor4d(xs, path.x);
      const f = tf.tensor4d(filter, [path.k, path.k, c, path.cout]);
      const y = tf.conv2d(x, f, path.stride, 'same');
      const probeValues = randomValues(y.size, 13);
      probeValues[Math.floor(y.size / 2)] = Number.NaN;
      const probe = tf.tensor(probeValues, y.shape);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, path.stride, 'same'), probe)))([x, f]);
      return [y, dx!, df!];
    };
    const want = await runOn('cpu', grads);
    const got = await runOn('onednn', grads);
    ['y', 'dx', 'dfilter'].forEach((name, i) => assertSameNonFinite(`${path.name}: ${name}`, got[i]!.values, want[i]!.values));
  }
});

test('fused matMul keeps NaN and infinities through every activation', async () => {
  const a = planted(6 * 40, 6, [3], [40 + 7], [5 * 40 + 11]);
  const b = randomValues(40 * 24, 7);
  const bias = randomValues(24, 8);
  const mm = (act: Activation, fused: boolean) => {
    const x = tf.tensor2d(a, [6, 40]);
    const y = tf.tensor2d(b, [40, 24]);
    const c = tf.tensor1d(bias);
    if (fused) return tf.fused.matMul({ a: x, b: y, bias: c, activation: act, leakyreluAlpha: ALPHA });
    return activate(tf.add(tf.matMul(x, y), c), act);
  };
  const want = await runOn('cpu', () => activations.map((act) => mm(act, false)));
  const got = await runOn('onednn', () => activations.map((act) => mm(act, true)));
  activations.forEach((act, i) => assertSameNonFinite(`matMul, ${act}`, got[i]!.values, want[i]!.values));
});

test('element-wise activations keep NaN and infinities', async () => {
  const xs = planted(4096, 9, [0, 100, 4000], [5, 2000], [7, 3000]);
  const ops = (x: tf.Tensor) => [...activations.map((act) => activate(x, act)), tf.tanh(x), tf.softplus(x), tf.exp(x), tf.abs(x), tf.neg(x)];
  const want = await runOn('cpu', () => ops(tf.tensor1d(xs)));
  const got = await runOn('onednn', () => ops(tf.tensor1d(xs)));
  want.forEach((w, i) => assertSameNonFinite(`element-wise op ${i}`, got[i]!.values, w.values));
});

test('reductions keep NaN and infinities, over every axis pattern', async () => {
  // [8, 6, 5, 16]: a NaN in row 0, +Inf and -Inf in the same reduced row (sum: NaN), a lone +Inf
  const shape = [8, 6, 5, 16];
  const at = (a: number, b: number, c: number, d: number) => ((a * 6 + b) * 5 + c) * 16 + d;
  const xs = planted(8 * 6 * 5 * 16, 10, [at(0, 1, 2, 3)], [at(2, 0, 0, 5), at(5, 5, 4, 15)], [at(2, 1, 0, 5)]);
  const ops = (x: tf.Tensor) => {
    const out: tf.Tensor[] = [];
    for (const axes of [[0, 1, 2], [3], [1, 2], [0], [0, 1, 2, 3]]) {
      out.push(tf.sum(x, axes), tf.mean(x, axes), tf.max(x, axes), tf.min(x, axes), tf.prod(tf.mul(x, 0.5), axes));
    }
    return out;
  };
  const want = await runOn('cpu', () => ops(tf.tensor4d(xs, shape as [number, number, number, number])));
  const got = await runOn('onednn', () => ops(tf.tensor4d(xs, shape as [number, number, number, number])));
  want.forEach((w, i) => assertSameNonFinite(`reduction ${i}`, got[i]!.values, w.values));
});
