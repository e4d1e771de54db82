import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Network, type NetworkSpec } from 'gantry-core/models/network.js';
import { spectralNormalize } from 'gantry-core/models/spectralNorm.js';
import { Rng } from 'gantry-core/util/random.js';
import { maxAbsDiff, snapshot } from './fixtures.js';

await tf.setBackend('cpu');

/** Largest singular value of a kernel viewed as [-1, last axis], by power iteration in float64. */
function trueSigma(kernel: ArrayLike<number>, shape: number[]): number {
  const n = shape[shape.length - 1];
  const m = kernel.length / n;
  let x = Array.from({ length: n }, (_, i) => 1 + i / n);
  let sigma = 0;
  for (let it = 0; it < 5000; it++) {
    const wx = new Array(m).fill(0);
    for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) wx[r] += kernel[r * n + c] * x[c];
    const y = new Array(n).fill(0);
    for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) y[c] += kernel[r * n + c] * wx[r];
    const norm = Math.hypot(...y);
    sigma = Math.sqrt(norm); // ||W^T W x|| with ||x|| = 1
    x = y.map((v) => v / norm);
  }
  return sigma;
}

function variable(net: Network, name: string): tf.Variable {
  const found = net.allVariables().find((v) => v.name === name);
  assert.ok(found, `no variable ${name}; have ${net.allVariables().map((v) => v.name).join(', ')}`);
  return found.variable;
}

function input(shape: number[], seed = 3): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new Rng(seed, 0, 0).fillNormal(new Float32Array(size)), shape);
}

const cases: { what: string; spec: NetworkSpec; batchShape: number[] }[] = [
  { what: 'dense', spec: { input: [6], layers: [{ kind: 'dense', units: 4, spectralNorm: true }] }, batchShape: [2, 6] },
  { what: 'conv2d', spec: { input: [5, 5, 2], layers: [{ kind: 'conv2d', filters: 3, kernel: 3, stride: 2, padding: 'same', spectralNorm: true }] }, batchShape: [2, 5, 5, 2] },
  {
    what: 'conv2dTranspose',
    spec: { input: [3, 3, 4], layers: [{ kind: 'conv2dTranspose', filters: 2, kernel: 4, stride: 2, padding: 'same', spectralNorm: true }] },
    batchShape: [2, 3, 3, 4],
  },
];

for (const c of cases) {
  test(`${c.what}: after enough training forwards sigma is the largest singular value, and the layer uses W / sigma`, () => {
    const net = new Network('D', c.spec, 1, 2);
    const x = input(c.batchShape);
    const prefix = `D/0_${c.what}`;
    const kernel = variable(net, `${prefix}/kernel`);
    const u = variable(net, `${prefix}/sn_u`);
    for (let i = 0; i < 300; i++) tf.tidy(() => net.apply(x, { training: true, updateStats: true }));
    const want = trueSigma(kernel.dataSync(), kernel.shape);
    const sn = spectralNormalize(kernel, u);
    const sigma = sn.sigma.dataSync()[0];
    assert.ok(Math.abs(sigma - want) / want < 1e-3, `sigma ${sigma}, true ${want}`);
    // the normalized kernel's spectral norm is 1
    const normalizedSigma = trueSigma(sn.kernel.dataSync(), kernel.shape);
    assert.ok(Math.abs(normalizedSigma - 1) < 1e-3, `spectral norm of W / sigma is ${normalizedSigma}`);
    // the layer's output is the plain layer's output with W / true sigma (bias is zero at init)
    const y = net.apply(x, { training: false });
    const scaled = tf.div(kernel, want) as tf.Tensor4D;
    const s = c.spec.layers[0] as { stride: number; padding: 'same' | 'valid' };
    const expected =
      c.what === 'dense' ? tf.matMul(x as tf.Tensor2D, scaled as unknown as tf.Tensor2D)
      : c.what === 'conv2d' ? tf.conv2d(x as tf.Tensor4D, scaled, s.stride, s.padding)
      : tf.conv2dTranspose(x as tf.Tensor4D, scaled, [2, 6, 6, 2], s.stride, s.padding);
    const err = tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0];
    const scale = tf.max(tf.abs(expected)).dataSync()[0];
    assert.ok(err / scale < 2e-3, `output off by ${err} (scale ${scale})`);
    tf.dispose([x, sn.kernel, sn.sigma, sn.u, y, scaled, expected]);
    net.dispose();
  });
}

test('sn_u is non-trainable state and changes only on a training forward that updates statistics', () => {
  const net = new Network('D', cases[1].spec, 1, 2);
  assert.deepEqual(net.state.map((v) => v.name), ['D/0_conv2d/sn_u']);
  assert.deepEqual(net.trainable.map((v) => v.name), ['D/0_conv2d/kernel', 'D/0_conv2d/bias']);
  const u = variable(net, 'D/0_conv2d/sn_u');
  assert.deepEqual(u.shape, [1, 3]);
  assert.equal(u.trainable, false);
  const x = input(cases[1].batchShape);
  const read = () => Array.from(u.dataSync());
  const u0 = read();
  for (const opts of [{ training: false }, { training: false, updateStats: true }, { training: true }, { training: true, updateStats: false }]) {
    tf.tidy(() => net.apply(x, opts));
    assert.deepEqual(read(), u0, `u moved with ${JSON.stringify(opts)}`);
  }
  tf.tidy(() => net.apply(x, { training: true, updateStats: true }));
  const u1 = read();
  assert.notDeepEqual(u1, u0, 'u did not move on a training forward with updateStats');
  assert.ok(Math.abs(Math.hypot(...u1) - 1) < 1e-5, 'u is a unit vector');
  // inside a gradient tape too, as the training step calls it
  const { value, grads } = tf.variableGrads(() => tf.sum(net.apply(x, { training: true, updateStats: true })) as tf.Scalar);
  assert.notDeepEqual(read(), u1, 'u did not move under the tape');
  assert.equal(grads[u.name], undefined, 'u got a gradient');
  tf.dispose([x, value, ...Object.values(grads)]);
  net.dispose();
});

test('gradients flow through W / sigma with u and v held constant', () => {
  const net = new Network('D', cases[0].spec, 5, 2); // fresh u: one iteration is far from converged
  const kernel = variable(net, 'D/0_dense/kernel');
  const u0 = variable(net, 'D/0_dense/sn_u').clone();
  const x = input([3, 6]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, { training: true }))) as tf.Scalar, [kernel]);
  const got = grads[kernel.name];
  const normalize = (t: tf.Tensor) => tf.div(t, tf.norm(t));
  const loss = (w: tf.Tensor2D, v: tf.Tensor2D, u: tf.Tensor2D) => tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, tf.div(w, tf.sum(tf.mul(tf.matMul(v, w), u)))))) as tf.Scalar;
  // by hand: u, v from the stored u, then constants
  const vConst = normalize(tf.matMul(u0, kernel, false, true)) as tf.Tensor2D;
  const uConst = normalize(tf.matMul(vConst, kernel)) as tf.Tensor2D;
  const wantConst = tf.grad((w: tf.Tensor) => loss(w as tf.Tensor2D, vConst, uConst))(kernel);
  // what it would be if u and v were differentiated too
  const wantThrough = tf.grad((w: tf.Tensor) => {
    const v = normalize(tf.matMul(u0, w, false, true)) as tf.Tensor2D;
    return loss(w as tf.Tensor2D, v, normalize(tf.matMul(v, w)) as tf.Tensor2D);
  })(kernel);
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(diff(got, wantConst) < 1e-5, `gradient differs from the stop-gradient formula by ${diff(got, wantConst)}`);
  assert.ok(diff(wantConst, wantThrough) > 1e-3, 'the two formulas agree here, so this test could not tell them apart');
  tf.dispose([u0, x, value, got, vConst, uConst, wantConst, wantThrough]);
  net.dispose();
});

const snNet: NetworkSpec = {
  input: [8, 8, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 'same', spectralNorm: true },
    { kind: 'batchNorm' },
    { kind: 'leakyRelu', alpha: 0.2 },
    { kind: 'conv2dTranspose', filters: 2, kernel: 3, stride: 1, padding: 'same', spectralNorm: true },
    { kind: 'flatten' },
    { kind: 'dense', units: 1, spectralNorm: true },
  ],
};

test('a network with spectral norm gives identical outputs once its variables are copied into a fresh one', () => {
  const a = new Network('D', snNet, 1, 2);
  const x = input([2, 8, 8, 1]);
  for (let i = 0; i < 3; i++) tf.tidy(() => a.apply(x, { training: true, updateStats: true }));
  const b = new Network('D', snNet, 2, 2);
  const outputs = (n: Network) => tf.tidy(() => [n.apply(x, { training: false }), n.apply(x, { training: true })].map((t) => Array.from(t.dataSync())));
  assert.notDeepEqual(outputs(b), outputs(a), 'two seeds gave the same network');
  assert.deepEqual(b.allVariables().map((v) => v.name), a.allVariables().map((v) => v.name));
  for (const v of a.allVariables()) variable(b, v.name).assign(v.variable);
  assert.equal(maxAbsDiff(snapshot(a.allVariables()), snapshot(b.allVariables())), 0);
  assert.deepEqual(outputs(b), outputs(a));
  // and they stay in step while training forwards move u
  tf.tidy(() => [a, b].forEach((n) => n.apply(x, { training: true, updateStats: true })));
  assert.deepEqual(outputs(b), outputs(a));
  tf.dispose(x);
  a.dispose();
  b.dispose();
});

test('turning spectral norm on adds sn_u vectors and leaves every initial weight and name as it was', () => {
  const plain: NetworkSpec = { ...snNet, layers: snNet.layers.map((l) => ({ ...l, spectralNorm: undefined }) as typeof l) };
  const withSn = new Network('D', snNet, 4, 2);
  const without = new Network('D', plain, 4, 2);
  assert.deepEqual(withSn.trainable.map((v) => v.name), without.trainable.map((v) => v.name));
  assert.equal(maxAbsDiff(snapshot(without.trainable), snapshot(withSn.trainable)), 0);
  assert.deepEqual(
    withSn.state.map((v) => v.name).filter((n) => n.endsWith('sn_u')),
    ['D/0_conv2d/sn_u', 'D/3_conv2dTranspose/sn_u', 'D/5_dense/sn_u'],
  );
  assert.deepEqual(variable(withSn, 'D/3_conv2dTranspose/sn_u').shape, [1, 4]); // kernel [3, 3, 2, 4]: last axis is the input's 4 channels
  withSn.dispose();
  without.dispose();
});
