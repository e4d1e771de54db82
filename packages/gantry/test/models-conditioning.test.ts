import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Network, type NetworkSpec } from 'gantry-core/models/network.js';
import { Rng } from 'gantry-core/util/random.js';

await tf.setBackend('cpu');

function input(shape: number[], seed = 3): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new Rng(seed, 0, 0).fillNormal(new Float32Array(size)), shape);
}

function variable(net: Network, name: string): tf.Variable {
  const found = net.allVariables().find((v) => v.name === name);
  assert.ok(found, `no variable ${name}; have ${net.allVariables().map((v) => v.name).join(', ')}`);
  return found.variable;
}

const labels = (...ys: number[]) => tf.tensor1d(ys, 'int32');
const rows = (t: tf.Tensor) => (t.arraySync() as number[][]).map((r) => JSON.stringify(r));

test('output shapes, declared and computed', () => {
  const cases: { spec: NetworkSpec; out: number[] }[] = [
    { spec: { input: [5], layers: [{ kind: 'labelConcat', classes: 3 }] }, out: [8] },
    { spec: { input: [5], layers: [{ kind: 'labelConcat', classes: 3, embedding: 4 }] }, out: [9] },
    { spec: { input: [4, 4, 2], layers: [{ kind: 'labelConcat', classes: 3 }] }, out: [4, 4, 5] },
    { spec: { input: [4, 4, 2], layers: [{ kind: 'labelConcat', classes: 3, embedding: 6 }] }, out: [4, 4, 8] },
    { spec: { input: [6], layers: [{ kind: 'projection', classes: 3 }] }, out: [1] },
    { spec: { input: [6], layers: [{ kind: 'auxClassifier', classes: 3 }] }, out: [4] },
  ];
  for (const c of cases) {
    const net = new Network('D', c.spec, 0, 2);
    assert.deepEqual(net.outputShape, c.out);
    const y = net.apply(input([2, ...c.spec.input]), { training: true, labels: labels(0, 2) });
    assert.deepEqual(y.shape, [2, ...c.out], JSON.stringify(c.spec.layers[0]));
    net.dispose();
  }
});

test('variable names and shapes', () => {
  const names = (spec: NetworkSpec) => {
    const net = new Network('D', spec, 0, 2);
    const out = net.allVariables().map((v) => `${v.name} [${v.variable.shape.join(',')}]${v.variable.trainable ? '' : ' state'}`);
    net.dispose();
    return out;
  };
  assert.deepEqual(names({ input: [5], layers: [{ kind: 'labelConcat', classes: 3 }] }), []);
  assert.deepEqual(names({ input: [5], layers: [{ kind: 'labelConcat', classes: 3, embedding: 4 }] }), ['D/0_labelConcat/embedding [3,4]']);
  assert.deepEqual(names({ input: [6], layers: [{ kind: 'projection', classes: 3 }] }), [
    'D/0_projection/kernel [6,1]', 'D/0_projection/bias [1]', 'D/0_projection/embedding [3,6]',
  ]);
  assert.deepEqual(names({ input: [6], layers: [{ kind: 'projection', classes: 3, spectralNorm: true }] }), [
    'D/0_projection/kernel [6,1]', 'D/0_projection/bias [1]', 'D/0_projection/embedding [3,6]',
    'D/0_projection/sn_u [1,1] state', 'D/0_projection/embedding_sn_u [1,6] state',
  ]);
  assert.deepEqual(names({ input: [6], layers: [{ kind: 'auxClassifier', classes: 3, spectralNorm: true }] }), [
    'D/0_auxClassifier/kernel [6,4]', 'D/0_auxClassifier/bias [4]', 'D/0_auxClassifier/sn_u [1,4] state',
  ]);
});

test('one-hot labelConcat equals concatenating the one-hot by hand, on features and on images', () => {
  const flat = new Network('G', { input: [2], layers: [{ kind: 'labelConcat', classes: 3 }] }, 0, 1);
  const x = tf.tensor2d([[0.5, -1], [2, 3]]);
  assert.deepEqual(flat.apply(x, { training: false, labels: labels(2, 0) }).arraySync(), [[0.5, -1, 0, 0, 1], [2, 3, 1, 0, 0]]);
  const image = new Network('D', { input: [2, 2, 1], layers: [{ kind: 'labelConcat', classes: 2 }] }, 0, 2);
  const xi = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
  const want = [
    [[[1, 1, 0], [2, 1, 0]], [[3, 1, 0], [4, 1, 0]]],
    [[[5, 0, 1], [6, 0, 1]], [[7, 0, 1], [8, 0, 1]]],
  ];
  assert.deepEqual(image.apply(xi, { training: false, labels: labels(0, 1) }).arraySync(), want);
  flat.dispose();
  image.dispose();
});

test('embedding labelConcat appends the label\'s row of the embedding', () => {
  const net = new Network('G', { input: [3, 3, 2], layers: [{ kind: 'labelConcat', classes: 4, embedding: 2 }] }, 0, 1);
  const table = variable(net, 'G/0_labelConcat/embedding').arraySync() as number[][];
  const x = input([2, 3, 3, 2]);
  const y = net.apply(x, { training: true, labels: labels(3, 1) }).arraySync() as number[][][][];
  const xs = x.arraySync() as number[][][][];
  for (const [b, label] of [[0, 3], [1, 1]]) {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.deepEqual(y[b][i][j], [...xs[b][i][j], ...table[label]]);
  }
  net.dispose();
});

test('outputs change with the label of their own example and with nothing else', () => {
  const specs: NetworkSpec[] = [
    { input: [4], layers: [{ kind: 'labelConcat', classes: 3, embedding: 2 }, { kind: 'dense', units: 2 }] },
    { input: [2, 2, 1], layers: [{ kind: 'labelConcat', classes: 3 }, { kind: 'conv2d', filters: 2, kernel: 2, stride: 1, padding: 'valid' }] },
    { input: [4], layers: [{ kind: 'projection', classes: 3 }] },
  ];
  for (const spec of specs) {
    const net = new Network('D', spec, 1, 2);
    const x = input([3, ...spec.input]);
    const a = rows(net.apply(x, { training: true, labels: labels(0, 1, 2) }));
    const again = rows(net.apply(x, { training: true, labels: labels(0, 1, 2) }));
    const b = rows(net.apply(x, { training: true, labels: labels(0, 2, 2) }));
    const kind = spec.layers[0].kind;
    assert.deepEqual(again, a, `${kind}: not deterministic`);
    assert.notEqual(b[1], a[1], `${kind}: example 1's output ignored its label`);
    assert.equal(b[0], a[0], `${kind}: example 0 changed with another example's label`);
    assert.equal(b[2], a[2], `${kind}: example 2 changed with another example's label`);
    net.dispose();
  }
});

test('projection equals h w + b + <embedding[y], h>, computed by hand from its variables', () => {
  const net = new Network('D', { input: [5], layers: [{ kind: 'projection', classes: 3 }] }, 2, 2);
  variable(net, 'D/0_projection/bias').assign(tf.tensor1d([0.25]));
  const w = variable(net, 'D/0_projection/kernel').dataSync();
  const b = variable(net, 'D/0_projection/bias').dataSync()[0];
  const e = variable(net, 'D/0_projection/embedding').arraySync() as number[][];
  const x = input([4, 5]);
  const ys = [2, 0, 1, 2];
  const h = x.arraySync() as number[][];
  const got = net.apply(x, { training: false, labels: labels(...ys) }).arraySync() as number[][];
  ys.forEach((y, i) => {
    let want = b;
    for (let f = 0; f < 5; f++) want += h[i][f] * w[f] + e[y][f] * h[i][f];
    assert.ok(Math.abs(got[i][0] - want) < 1e-5, `example ${i}: ${got[i][0]} vs ${want}`);
  });
  net.dispose();
});

test('auxClassifier is one dense head: logit then class logits, whatever the labels', () => {
  const net = new Network('D', { input: [5], layers: [{ kind: 'auxClassifier', classes: 3 }] }, 2, 2);
  assert.equal(net.conditional, false);
  variable(net, 'D/0_auxClassifier/bias').assign(tf.tensor1d([0.1, 0.2, 0.3, 0.4]));
  const x = input([2, 5]);
  const want = tf.add(tf.matMul(x as tf.Tensor2D, variable(net, 'D/0_auxClassifier/kernel') as tf.Tensor2D), variable(net, 'D/0_auxClassifier/bias'));
  const got = net.apply(x, { training: true });
  assert.ok(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0] < 1e-6);
  assert.deepEqual(rows(net.apply(x, { training: true, labels: labels(1, 2) })), rows(got));
  net.dispose();
});

test('gradients reach the embeddings, only in the rows of the labels used', () => {
  for (const spec of [
    { input: [4], layers: [{ kind: 'labelConcat', classes: 3, embedding: 2 }, { kind: 'dense', units: 1 }] },
    { input: [4], layers: [{ kind: 'projection', classes: 3 }] },
  ] as NetworkSpec[]) {
    const net = new Network('D', spec, 1, 2);
    const table = net.trainable.find((v) => v.name.endsWith('/embedding'))!.variable;
    const x = input([3, 4]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, { training: true, labels: labels(0, 2, 0) }))) as tf.Scalar);
    const g = grads[table.name].arraySync() as number[][];
    const norm = (r: number[]) => Math.hypot(...r);
    assert.ok(norm(g[0]) > 0 && norm(g[2]) > 0, `${spec.layers[0].kind}: no gradient on the used rows`);
    assert.equal(norm(g[1]), 0, `${spec.layers[0].kind}: gradient on class 1, which no example has`);
    for (const v of net.trainable) assert.ok(grads[v.variable.name], `no gradient for ${v.name}`);
    tf.dispose([x, value, ...Object.values(grads)]);
    net.dispose();
  }
});

test('layers that read labels say so when they are missing or malformed', () => {
  const net = new Network('D', { input: [4], layers: [{ kind: 'projection', classes: 3 }] }, 1, 2);
  assert.equal(net.conditional, true);
  const x = input([2, 4]);
  assert.throws(() => net.apply(x, { training: true }), /D layer 0 \(projection\) needs class labels: call apply\(x, \{labels\}\)/);
  assert.throws(() => net.apply(x, { training: true, labels: tf.tensor1d([0, 1]) }), /int32 tensor \[2\], got float32 \[2\]/);
  assert.throws(() => net.apply(x, { training: true, labels: labels(0, 1, 2) }), /int32 tensor \[2\], got int32 \[3\]/);
  net.dispose();
});
