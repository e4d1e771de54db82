import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { NotExportableError } from 'gantry-core/models/kerasExport.js';
import { Network, type LayerSpec, type NetworkSpec } from 'gantry-core/models/network.js';
import { onnxGenerator, unexportableOnnxLayers } from 'gantry-core/models/onnxExport.js';
import { encodeOnnxModel, onnxOpset } from 'gantry-core/models/onnxGraph.js';
import { Rng } from 'gantry-core/util/random.js';
import { tempDir } from './fixtures.js';
import { checkOnnxModels, onnxCheckerMissing } from './exportFixtures.js';

/**
 * The ONNX form of each layer kind against Gantry's own inference forward (TF.js' cpu backend),
 * run by ONNX Runtime for Node: networks that use every exportable kind, with every variable set to
 * random values (batchnorm statistics and spectral norm's u included), must give the same numbers
 * for a batch of 3 and of 1 (the batch axis is dynamic). ONNX's own checker then reads each model.
 */
const work = tempDir('gantry-export-onnx-');
const written: string[] = [];

/** Every variable to seeded random values, small enough that tanh does not saturate; variances stay positive. */
function randomize(net: Network, seed: number): void {
  const rng = new Rng(seed, 1, 0);
  for (const { name, variable } of net.allVariables()) {
    const values = rng.fillNormal(new Float32Array(variable.size)).map((v) => 0.4 * v);
    if (name.endsWith('movingVariance')) values.forEach((v, i) => (values[i] = 0.5 + Math.abs(v)));
    variable.assign(tf.tensor(values, variable.shape));
  }
}

/** The largest |ONNX Runtime - Gantry| and the largest |Gantry| (which must not be trivially small, nor mostly saturated at 1). */
async function compare(name: string, spec: NetworkSpec, labelsOf?: (n: number) => number[]): Promise<{ diff: number; scale: number }> {
  await tf.setBackend('cpu');
  const net = new Network('G', spec, 5, 0);
  randomize(net, 9);
  const bytes = encodeOnnxModel(onnxGenerator(net, { producerVersion: 'test', docString: name, metadata: {} }).parts);
  const path = join(work, `${name}.onnx`);
  writeFileSync(path, bytes);
  written.push(path);
  const session = await ort.InferenceSession.create(path);
  let worst = 0;
  let scale = 0;
  let saturated = 0;
  let total = 0;
  for (const n of [3, 1]) {
    const latent = spec.input[0]!;
    const zValues = new Rng(4, 2, n).fillNormal(new Float32Array(n * latent));
    const labels = labelsOf?.(n);
    const want = tf.tidy(() => net.apply(tf.tensor2d(zValues, [n, latent]), { training: false, labels: labels ? tf.tensor1d(labels, 'int32') : undefined }));
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', zValues, [n, latent]) };
    if (labels) feeds.labels = new ort.Tensor('int64', BigInt64Array.from(labels, BigInt), [n]);
    const { images } = await session.run(feeds);
    assert.deepEqual(images!.dims, want.shape);
    const got = images!.data as Float32Array;
    const expected = want.dataSync();
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
      if (Math.abs(Math.abs(expected[i]!) - 1) < 1e-6) saturated++; // tanh at its limit
    }
    total += got.length;
    want.dispose();
  }
  await session.release();
  net.dispose();
  assert.ok(scale > 1e-2 && saturated < total / 4, `the output is neither trivially small nor saturated (max |G| = ${scale}, ${saturated} of ${total} at 1)`);
  return { diff: worst, scale };
}

test('dense, conv, transposed conv (same and valid, kernel below stride), batchnorm, spectral norm and every activation match to 1e-5', async (t) => {
  const { diff, scale } = await compare('plain', {
    input: [6],
    layers: [
      { kind: 'dense', units: 48, spectralNorm: true },
      { kind: 'batchNorm', epsilon: 1e-5 },
      { kind: 'leakyRelu', alpha: 0.1 },
      { kind: 'reshape', shape: [4, 4, 3] },
      { kind: 'conv2dTranspose', filters: 5, kernel: 3, stride: 2, padding: 'same', bias: false },
      { kind: 'batchNorm' },
      { kind: 'relu' },
      { kind: 'conv2dTranspose', filters: 4, kernel: 2, stride: 3, padding: 'valid', spectralNorm: true }, // 8 -> 23
      { kind: 'conv2dTranspose', filters: 3, kernel: 2, stride: 3, padding: 'same' }, // 23 -> 69: rows with no input
      { kind: 'conv2d', filters: 3, kernel: 4, stride: 2, padding: 'valid', spectralNorm: true },
      { kind: 'sigmoid' },
      { kind: 'conv2d', filters: 2, kernel: 4, stride: 3, padding: 'same' }, // odd 'same' padding: the extra row at the end
      { kind: 'conv2d', filters: 2, kernel: 3, stride: 1, padding: 'same', bias: false },
      { kind: 'tanh' },
    ],
  });
  t.diagnostic(`max |onnxruntime - Gantry| = ${diff.toExponential(2)} (max |G| ${scale.toFixed(3)})`);
  assert.ok(diff <= 1e-5, String(diff));
});

test('residual blocks, resampling, flatten and sum pooling match to 1e-5 (relative where G passes 1)', async (t) => {
  const { diff, scale } = await compare('residual', {
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
      { kind: 'dense', units: 16, bias: false },
      { kind: 'reshape', shape: [4, 4, 1] },
      { kind: 'reshape', shape: [2, 8, 1] },
    ],
  });
  t.diagnostic(`max |onnxruntime - Gantry| = ${diff.toExponential(2)} (max |G| ${scale.toFixed(3)})`);
  assert.ok(diff <= 1e-5 * Math.max(1, scale), String(diff));
});

test('conditional G: int64 labels as a learned embedding on features and one-hot on every pixel match to 1e-5', async (t) => {
  const { diff, scale } = await compare('conditional', {
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
  t.diagnostic(`max |onnxruntime - Gantry| = ${diff.toExponential(2)} (max |G| ${scale.toFixed(3)})`);
  assert.ok(diff <= 1e-5, String(diff));
});

test(`ONNX's checker (full_check: strict shape inference) passes every model above, opset ${onnxOpset}`, (t) => {
  const missing = onnxCheckerMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  assert.equal(written.length, 3, 'the three models were written');
  assert.deepEqual(checkOnnxModels(written), written.map(() => ''));
});

test("a discriminator's head in G is refused, naming the layer", () => {
  const layers: LayerSpec[] = [
    { kind: 'dense', units: 8 },
    { kind: 'projection', classes: 3 },
    { kind: 'dense', units: 4 },
    { kind: 'auxClassifier', classes: 2 },
  ];
  assert.deepEqual(unexportableOnnxLayers(layers).map((l) => l.split(':')[0]), ['layer 1 (projection)', 'layer 3 (auxClassifier)']);
  const net = new Network('G', { input: [4], layers: layers.slice(0, 2) }, 1, 0);
  const about = { producerVersion: 'test', docString: '', metadata: {} };
  assert.throws(() => onnxGenerator(net, about), (e: unknown) => e instanceof NotExportableError && /as ONNX: layer 1 \(projection\)/.test((e as Error).message));
  net.dispose();
});
