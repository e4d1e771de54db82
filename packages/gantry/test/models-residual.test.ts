import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { layerOutputShape, Network, type LayerSpec, type NetworkSpec } from 'gantry-core/models/network.js';
import { Rng } from 'gantry-core/util/random.js';

await tf.setBackend('cpu');

function input(shape: number[], seed = 3): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(new Rng(seed, 0, 0).fillNormal(new Float32Array(size)), shape as [number, number, number, number]);
}

function params(net: Network): Record<string, tf.Variable> {
  return Object.fromEntries(net.allVariables().map((v) => [v.name.split('/').slice(2).join('/'), v.variable]));
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Nearest x2 and 2x2 average in plain JS, on nested arrays [b][h][w][c]. */
const up = (x: number[][][][]) => x.map((img) => img.flatMap((row) => [row, row]).map((row) => row.flatMap((px) => [px, px])));
const pool = (x: number[][][][]) =>
  x.map((img) => Array.from({ length: img.length / 2 }, (_, i) => Array.from({ length: img[0].length / 2 }, (_, j) =>
    img[2 * i][2 * j].map((_, c) => (img[2 * i][2 * j][c] + img[2 * i + 1][2 * j][c] + img[2 * i][2 * j + 1][c] + img[2 * i + 1][2 * j + 1][c]) / 4))));
/** A 1x1 convolution with kernel [1, 1, in, out] and bias, in plain JS. */
const pointwise = (x: number[][][][], k: number[][][][], b: number[]) =>
  x.map((img) => img.map((row) => row.map((px) => b.map((bias, o) => px.reduce((s, v, c) => s + v * k[0][0][c][o], bias)))));

test('shapes: declared, computed, and refused with a reason', () => {
  const cases: { layer: LayerSpec; in: number[]; out: number[] }[] = [
    { layer: { kind: 'resBlockUp', filters: 5 }, in: [4, 4, 3], out: [8, 8, 5] },
    { layer: { kind: 'resBlockDown', filters: 5 }, in: [8, 6, 3], out: [4, 3, 5] },
    { layer: { kind: 'resBlockDown', filters: 2, preactivation: false, spectralNorm: true }, in: [4, 4, 1], out: [2, 2, 2] },
    { layer: { kind: 'upsample' }, in: [3, 2, 4], out: [6, 4, 4] },
    { layer: { kind: 'avgPool' }, in: [4, 2, 3], out: [2, 1, 3] },
    { layer: { kind: 'globalSumPool' }, in: [4, 2, 3], out: [3] },
  ];
  for (const c of cases) {
    const net = new Network('N', { input: c.in, layers: [c.layer] }, 0, 1);
    assert.deepEqual(net.outputShape, c.out);
    const y = tf.tidy(() => net.apply(input([2, ...c.in]), { training: true }).shape);
    assert.deepEqual(y, [2, ...c.out], c.layer.kind);
    net.dispose();
  }
  assert.throws(() => layerOutputShape({ kind: 'resBlockDown', filters: 2 }, [5, 4, 1]), /^Error: layer resBlockDown halves height and width, which must be even, got \[5, 4, 1\]$/);
  assert.throws(() => layerOutputShape({ kind: 'avgPool' }, [4, 3, 1]), /avgPool halves height and width, which must be even/);
  assert.throws(() => layerOutputShape({ kind: 'resBlockUp', filters: 2 }, [16]), /layer resBlockUp needs an image \[height, width, channels\] per example, got \[16\]/);
});

test('upsample, avgPool and globalSumPool match their definitions', () => {
  const x = input([2, 4, 2, 3]);
  const xs = x.arraySync();
  const run = (kind: 'upsample' | 'avgPool' | 'globalSumPool') => {
    const net = new Network('N', { input: [4, 2, 3], layers: [{ kind }] }, 0, 1);
    return net.apply(x, { training: false });
  };
  assert.ok(maxDiff(run('upsample'), tf.tensor(up(xs))) === 0);
  assert.ok(maxDiff(run('avgPool'), tf.tensor(pool(xs))) < 1e-6);
  const sums = xs.map((img) => [0, 1, 2].map((c) => img.flat().reduce((s, px) => s + px[c], 0)));
  assert.ok(maxDiff(run('globalSumPool'), tf.tensor(sums)) < 1e-5);
});

test('variable names: batchnorm state inside the up block, sn_u per convolution', () => {
  const up = new Network('G', { input: [2, 2, 3], layers: [{ kind: 'resBlockUp', filters: 4 }] }, 0, 1);
  assert.deepEqual(up.trainable.map((v) => v.name), [
    'G/0_resBlockUp/bn1/gamma', 'G/0_resBlockUp/bn1/beta', 'G/0_resBlockUp/conv1/kernel', 'G/0_resBlockUp/conv1/bias',
    'G/0_resBlockUp/bn2/gamma', 'G/0_resBlockUp/bn2/beta', 'G/0_resBlockUp/conv2/kernel', 'G/0_resBlockUp/conv2/bias',
    'G/0_resBlockUp/shortcut/kernel', 'G/0_resBlockUp/shortcut/bias',
  ]);
  assert.deepEqual(up.state.map((v) => v.name), [
    'G/0_resBlockUp/bn1/movingMean', 'G/0_resBlockUp/bn1/movingVariance', 'G/0_resBlockUp/bn2/movingMean', 'G/0_resBlockUp/bn2/movingVariance',
  ]);
  const down = new Network('D', { input: [4, 4, 3], layers: [{ kind: 'resBlockDown', filters: 4, spectralNorm: true }] }, 0, 2);
  assert.deepEqual(down.allVariables().map((v) => `${v.name} [${v.variable.shape.join(',')}]`), [
    'D/0_resBlockDown/conv1/kernel [3,3,3,4]', 'D/0_resBlockDown/conv1/bias [4]', 'D/0_resBlockDown/conv2/kernel [3,3,4,4]', 'D/0_resBlockDown/conv2/bias [4]',
    'D/0_resBlockDown/shortcut/kernel [1,1,3,4]', 'D/0_resBlockDown/shortcut/bias [4]',
    'D/0_resBlockDown/conv1/sn_u [1,4]', 'D/0_resBlockDown/conv2/sn_u [1,4]', 'D/0_resBlockDown/shortcut/sn_u [1,4]',
  ]);
  up.dispose();
  down.dispose();
});

test('the shortcut is used: with the last conv kernel zeroed, the block is the shortcut (by hand) plus that conv\'s bias', () => {
  for (const spec of [
    { input: [2, 2, 3], layers: [{ kind: 'resBlockUp', filters: 2 }] },
    { input: [4, 4, 3], layers: [{ kind: 'resBlockDown', filters: 2 }] },
  ] as NetworkSpec[]) {
    const net = new Network('N', spec, 1, 1);
    const p = params(net);
    p['conv2/kernel'].assign(tf.zerosLike(p['conv2/kernel']));
    p['conv2/bias'].assign(tf.tensor1d([0.5, -0.25]));
    p['shortcut/bias'].assign(tf.tensor1d([0.1, 0.2]));
    const x = input([2, ...spec.input]);
    const k = p['shortcut/kernel'].arraySync() as number[][][][];
    const b = Array.from(p['shortcut/bias'].dataSync());
    const shortcut = spec.layers[0].kind === 'resBlockUp' ? pointwise(up(x.arraySync()), k, b) : pointwise(pool(x.arraySync()), k, b);
    const want = tf.add(tf.tensor(shortcut), tf.tensor1d([0.5, -0.25]));
    const got = net.apply(x, { training: true });
    assert.ok(maxDiff(got, want) < 1e-5, `${spec.layers[0].kind}: off by ${maxDiff(got, want)}`);
    net.dispose();
  }
});

test('resBlockUp and resBlockDown match their definitions, op by op', () => {
  const relu = (t: tf.Tensor) => tf.relu(t);
  const conv = (p: Record<string, tf.Variable>, name: string, t: tf.Tensor) => tf.add(tf.conv2d(t as tf.Tensor4D, p[`${name}/kernel`] as tf.Tensor4D, 1, 'same'), p[`${name}/bias`]);
  const bn = (p: Record<string, tf.Variable>, name: string, t: tf.Tensor) => {
    const { mean, variance } = tf.moments(t, [0, 1, 2]);
    return tf.batchNorm(t, mean, variance, p[`${name}/beta`], p[`${name}/gamma`], 1e-3);
  };
  const nudge = (net: Network) => net.trainable.forEach((v, i) => v.variable.assign(tf.add(v.variable, 0.05 * (i + 1)))); // biases and BN off their defaults
  {
    const net = new Network('G', { input: [2, 2, 3], layers: [{ kind: 'resBlockUp', filters: 4 }] }, 1, 1);
    nudge(net);
    const p = params(net);
    const x = input([3, 2, 2, 3]);
    const upT = (t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [t.shape[1]! * 2, t.shape[2]! * 2]);
    const main = conv(p, 'conv2', relu(bn(p, 'bn2', conv(p, 'conv1', upT(relu(bn(p, 'bn1', x)))))));
    const want = tf.add(main, conv(p, 'shortcut', upT(x)));
    assert.ok(maxDiff(net.apply(x, { training: true }), want) < 1e-4, `resBlockUp off by ${maxDiff(net.apply(x, { training: true }), want)}`);
    net.dispose();
  }
  for (const preactivation of [true, false]) {
    const net = new Network('D', { input: [4, 4, 3], layers: [{ kind: 'resBlockDown', filters: 4, preactivation }] }, 1, 2);
    nudge(net);
    const p = params(net);
    const x = input([2, 4, 4, 3]);
    const poolT = (t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, 2, 2, 'valid');
    const main = poolT(conv(p, 'conv2', relu(conv(p, 'conv1', preactivation ? relu(x) : x))));
    const want = tf.add(main, poolT(conv(p, 'shortcut', x)));
    const got = net.apply(x, { training: true });
    assert.ok(maxDiff(got, want) < 1e-4, `resBlockDown (preactivation ${preactivation}) off by ${maxDiff(got, want)}`);
    net.dispose();
  }
});

test('gradients reach every trainable variable; the up block\'s batchnorm keeps moving statistics', () => {
  const spec: NetworkSpec = {
    input: [2, 2, 2],
    layers: [
      { kind: 'resBlockUp', filters: 3 },
      { kind: 'resBlockDown', filters: 3, preactivation: false, spectralNorm: true },
      { kind: 'resBlockDown', filters: 2 },
      { kind: 'relu' },
      { kind: 'globalSumPool' },
      { kind: 'dense', units: 1 },
    ],
  };
  const net = new Network('N', spec, 3, 1);
  const x = input([4, 2, 2, 2]);
  const mean0 = Array.from(params(net)['bn2/movingMean'].dataSync());
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, { training: true, updateStats: true }))) as tf.Scalar, net.trainable.map((v) => v.variable));
  for (const v of net.trainable) {
    const g = grads[v.variable.name];
    assert.ok(g && tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0, `no gradient reaches ${v.name}`);
  }
  // the first layer's moving mean: the net has one resBlockUp, whose bn2 sits at N/0_resBlockUp/bn2
  const moved = net.state.find((v) => v.name === 'N/0_resBlockUp/bn2/movingMean')!.variable;
  assert.notDeepEqual(Array.from(moved.dataSync()), mean0, 'moving mean did not move with updateStats');
  const frozen = Array.from(moved.dataSync());
  tf.tidy(() => net.apply(x, { training: true }));
  assert.deepEqual(Array.from(moved.dataSync()), frozen, 'moving mean moved without updateStats');
  tf.dispose([x, value, ...Object.values(grads)]);
  net.dispose();
});
