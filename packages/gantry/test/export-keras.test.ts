import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { kerasGenerator, NotExportableError, unexportableLayers } from 'gantry-core/models/kerasExport.js';
import { Network, type LayerSpec, type NetworkSpec } from 'gantry-core/models/network.js';
import { Rng } from 'gantry-core/util/random.js';

/**
 * The Keras form of each layer kind against Gantry's own inference forward, on TF.js' cpu
 * backend: networks that use every exportable kind, with every variable set to random values
 * (batchnorm statistics and spectral norm's u included), must give the same numbers.
 */

/** Every variable to seeded random values; variances stay positive. */
function randomize(net: Network, seed: number): void {
  const rng = new Rng(seed, 1, 0);
  for (const { name, variable } of net.allVariables()) {
    const values = rng.fillNormal(new Float32Array(variable.size));
    if (name.endsWith('movingVariance')) values.forEach((v, i) => (values[i] = 0.5 + Math.abs(v)));
    variable.assign(tf.tensor(values, variable.shape));
  }
}

async function compare(spec: NetworkSpec, labelsOf?: (n: number) => number[]): Promise<number> {
  await tf.setBackend('cpu');
  const net = new Network('G', spec, 5, 0);
  randomize(net, 9);
  const model = kerasGenerator(net);
  const n = 3;
  const z = tf.tensor2d(new Rng(4, 2, 0).fillNormal(new Float32Array(n * spec.input[0]!)), [n, spec.input[0]!]);
  const labels = labelsOf ? tf.tensor1d(labelsOf(n), 'int32') : undefined;
  const want = net.apply(z, { training: false, labels });
  const got = model.predict(labels ? [z, labels.reshape([n, 1])] : z) as tf.Tensor;
  assert.deepEqual(got.shape, want.shape);
  const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
  const scale = tf.max(tf.abs(want)).dataSync()[0]!;
  assert.ok(scale > 1e-3, 'the output is not trivially zero');
  tf.dispose([z, labels, want, got]);
  model.dispose();
  net.dispose();
  return diff;
}

test('dense, conv, transposed conv (same and valid, kernel below stride), batchnorm, spectral norm and every activation match to 1e-6', async () => {
  const diff = await compare({
    input: [6],
    layers: [
      { kind: 'dense', units: 48, spectralNorm: true },
      { kind: 'batchNorm', epsilon: 1e-5 },
      { kind: 'leakyRelu', alpha: 0.1 },
      { kind: 'reshape', shape: [4, 4, 3] },
      { kind: 'conv2dTranspose', filters: 5, kernel: 3, stride: 2, padding: 'same', bias: false },
      { kind: 'batchNorm' },
      { kind: 'relu' },
      { kind: 'conv2dTranspose', filters: 4, kernel: 2, stride: 3, padding: 'valid', spectralNorm: true }, // 8 -> 23, Keras makes 24
      { kind: 'conv2d', filters: 3, kernel: 4, stride: 2, padding: 'valid', spectralNorm: true },
      { kind: 'sigmoid' },
      { kind: 'conv2d', filters: 2, kernel: 3, stride: 1, padding: 'same' },
      { kind: 'tanh' },
    ],
  });
  assert.ok(diff <= 1e-6, String(diff));
});

test('residual blocks, resampling, flatten and sum pooling (the functional graph) match to 1e-6', async () => {
  const diff = await compare({
    input: [8],
    layers: [
      { kind: 'dense', units: 2 * 2 * 6 },
      { kind: 'reshape', shape: [2, 2, 6] },
      { kind: 'resBlockUp', filters: 4, spectralNorm: true },
      { kind: 'resBlockUp', filters: 4, epsilon: 1e-4 },
      { kind: 'resBlockDown', filters: 5, preactivation: false },
      { kind: 'resBlockDown', filters: 3, spectralNorm: true },
      { kind: 'upsample' },
      { kind: 'upsample' },
      { kind: 'avgPool' },
      { kind: 'flatten' },
      { kind: 'dense', units: 32 },
      { kind: 'reshape', shape: [4, 4, 2] },
      { kind: 'globalSumPool' },
      { kind: 'dense', units: 16 },
      { kind: 'reshape', shape: [4, 4, 1] },
      { kind: 'tanh' },
    ],
  });
  assert.ok(diff <= 1e-6, String(diff));
});

test('conditional G: labels as a learned embedding on features and one-hot on every pixel match to 1e-6', async () => {
  const diff = await compare({
    input: [5],
    layers: [
      { kind: 'labelConcat', classes: 4, embedding: 3 },
      { kind: 'dense', units: 3 * 3 * 2 },
      { kind: 'reshape', shape: [3, 3, 2] },
      { kind: 'labelConcat', classes: 4 },
      { kind: 'conv2dTranspose', filters: 2, kernel: 4, stride: 2, padding: 'same' },
      { kind: 'tanh' },
    ],
  }, (n) => Array.from({ length: n }, (_, i) => (i * 3 + 1) % 4));
  assert.ok(diff <= 1e-6, String(diff));
});

test("a discriminator's head in G is refused, naming the layer", () => {
  const layers: LayerSpec[] = [
    { kind: 'dense', units: 8 },
    { kind: 'projection', classes: 3 },
    { kind: 'dense', units: 4 },
    { kind: 'auxClassifier', classes: 2 },
  ];
  assert.deepEqual(unexportableLayers(layers).map((l) => l.split(':')[0]), ['layer 1 (projection)', 'layer 3 (auxClassifier)']);
  const net = new Network('G', { input: [4], layers: layers.slice(0, 2) }, 1, 0);
  assert.throws(() => kerasGenerator(net), (e: unknown) => e instanceof NotExportableError && /layer 1 \(projection\)/.test((e as Error).message));
  net.dispose();
});
