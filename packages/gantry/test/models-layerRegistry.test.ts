import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { UsageError } from 'gantry-core/errors.js';
import { kerasGenerator, NotExportableError } from 'gantry-core/models/kerasExport.js';
import type { LayerDefinition } from 'gantry-core/models/layerDefinition.js';
import { checkLayerValues, isLayerKind, layerConfigKeys, layerKeyRules, layerKinds, layerRegistry, type LayerKind, type LayerSpec } from 'gantry-core/models/layerRegistry.js';
import { Network } from 'gantry-core/models/network.js';
import { onnxGenerator } from 'gantry-core/models/onnxExport.js';
import { encodeOnnxModel } from 'gantry-core/models/onnxGraph.js';
import { Rng } from 'gantry-core/util/random.js';

/**
 * Every layer kind the registry declares, taken from the registry itself (no list of kinds here):
 * each must have every part of its definition, and each part must work on the kind's own example,
 * so a kind that is declared but lacks a part, or whose part does not do what it says, fails here.
 * (A kind of `LayerSpec` with no definition at all does not compile.)
 */

const definition = (kind: LayerKind) => layerRegistry[kind] as unknown as LayerDefinition<LayerSpec>;

/** Every variable to seeded random values; variances stay positive. */
function randomize(net: Network, seed: number): void {
  const rng = new Rng(seed, 1, 0);
  for (const { name, variable } of net.allVariables()) {
    const values = rng.fillNormal(new Float32Array(variable.size)).map((v) => 0.5 * v);
    if (name.endsWith('movingVariance')) values.forEach((v, i) => (values[i] = 0.5 + Math.abs(v)));
    variable.assign(tf.tensor(values, variable.shape));
  }
}

/** A network of the kind's example alone, with random variables. */
function exampleNetwork(kind: LayerKind, layers?: LayerSpec[]): Network {
  const { input, spec } = definition(kind).example;
  const net = new Network('N', { input, layers: layers ?? [spec] }, 3, 0);
  randomize(net, 11);
  return net;
}

function inputs(kind: LayerKind, n: number): { x: tf.Tensor; labels?: tf.Tensor1D; labelValues?: number[] } {
  const { input, spec } = definition(kind).example;
  const x = tf.tensor(new Rng(5, 2, n).fillNormal(new Float32Array(n * input.reduce((a, b) => a * b, 1))), [n, ...input]);
  if (!definition(kind).readsLabels) return { x };
  const classes = (spec as { classes: number }).classes;
  const labelValues = Array.from({ length: n }, (_, i) => (i * 2 + 1) % classes);
  return { x, labels: tf.tensor1d(labelValues, 'int32'), labelValues };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('the registry declares kinds, and each has keys with a rule, a shape rule, a forward and both export forms', () => {
  assert.ok(layerKinds.length >= 18, `${layerKinds.length} kinds`);
  assert.equal(isLayerKind('toString'), false);
  const usedKeys = new Set<string>();
  for (const kind of layerKinds) {
    const d = definition(kind);
    assert.ok(isLayerKind(kind));
    assert.equal(d.example.spec.kind, kind, `${kind}: its example is of its kind`);
    assert.equal(typeof d.outputShape, 'function', `${kind}: shape rule`);
    assert.equal(typeof d.apply, 'function', `${kind}: forward`);
    for (const [format, entry] of [['keras', d.keras], ['onnx', d.onnx]] as const) {
      const builds = 'build' in entry && typeof entry.build === 'function';
      const says = 'unsupported' in entry && typeof entry.unsupported === 'string' && entry.unsupported.length > 0;
      assert.ok(builds !== says, `${kind}: its ${format} entry either builds or says why it cannot`);
    }
    for (const key of layerConfigKeys(kind)) {
      usedKeys.add(key);
      assert.ok(Object.hasOwn(layerKeyRules, key), `${kind}.${key} has a value rule`);
    }
    for (const key of Object.keys(d.example.spec)) {
      if (key !== 'kind') assert.ok(layerConfigKeys(kind).includes(key), `${kind}'s example uses only its keys (${key})`);
    }
  }
  assert.deepEqual([...usedKeys].sort(), Object.keys(layerKeyRules).sort(), 'every rule belongs to a key some kind has');
});

test("each kind's keys are checked: its example passes, a bad value of any key is refused naming it, a missing required key too", () => {
  for (const kind of layerKinds) {
    const { spec } = definition(kind).example;
    checkLayerValues(spec, `x.${kind}`);
    for (const key of layerConfigKeys(kind)) {
      const bad = { ...spec, [key]: 'x' } as LayerSpec;
      assert.throws(() => checkLayerValues(bad, `x.${kind}`), (e: unknown) => e instanceof UsageError && e.message.startsWith(`x.${kind}.${key} must `), `${kind}.${key}: 'x' is refused`);
      if (layerKeyRules[key as keyof typeof layerKeyRules].required) {
        const missing = { ...spec } as Record<string, unknown>;
        delete missing[key];
        assert.throws(() => checkLayerValues(missing as unknown as LayerSpec, `x.${kind}`), (e: unknown) => e instanceof UsageError && e.message.startsWith(`x.${kind}.${key} must `), `${kind}.${key} is required`);
      }
    }
  }
});

test("each kind builds from its example; its forward has its rule's shape, reads labels only when it says so, and couples a batch only when it says so", async () => {
  await tf.setBackend('cpu');
  for (const kind of layerKinds) {
    const d = definition(kind);
    const { input, spec } = d.example;
    const net = exampleNetwork(kind);
    const want = d.outputShape(spec, input);
    assert.deepEqual(net.outputShape, want, kind);
    assert.equal(net.allVariables().length > 0, d.params !== undefined, `${kind}: variables exactly when it declares them`);
    assert.equal(net.conditional, d.readsLabels === true, `${kind}: the network is conditional exactly when the kind reads labels`);
    const { x, labels, labelValues } = inputs(kind, 4);
    for (const training of [false, true]) {
      const y = net.apply(x, { training, labels });
      assert.deepEqual(y.shape, [4, ...want], `${kind} (training ${training})`);
      assert.ok(y.dataSync().every(Number.isFinite), `${kind}: finite`);
      y.dispose();
    }
    if (d.readsLabels) assert.throws(() => net.apply(x, { training: false }), /needs class labels/, `${kind} without labels`);
    // two halves run apart against the whole batch, with batch statistics
    const whole = net.apply(x, { training: true, labels });
    const halves = [0, 2].map((start) => {
      const part = tf.slice(x, start, 2);
      const partLabels = labelValues ? tf.tensor1d(labelValues.slice(start, start + 2), 'int32') : undefined;
      const y = net.apply(part, { training: true, labels: partLabels });
      tf.dispose([part, partLabels]);
      return y;
    });
    const apart = tf.concat(halves);
    const diff = maxDiff(whole.dataSync(), apart.dataSync());
    if (d.couplesBatch) assert.ok(diff > 1e-3, `${kind} says it couples a batch, and does (${diff})`);
    else assert.ok(diff <= 1e-5 * Math.max(1, maxAbs(whole.dataSync())), `${kind} says it does not couple a batch (${diff})`);
    tf.dispose([x, labels, whole, apart, ...halves]);
    net.dispose();
  }
});

test('a kind that takes an activation gives, with any activation kind after it, what the two give one after the other', async () => {
  await tf.setBackend('cpu');
  const takers = layerKinds.filter((k) => definition(k).takesActivation?.(definition(k).example.spec));
  const activations = layerKinds.filter((k) => definition(k).asActivation);
  assert.ok(takers.length > 0 && activations.length > 0);
  for (const kind of takers) {
    const { input, spec } = definition(kind).example;
    for (const act of activations) {
      const actSpec = definition(act).example.spec;
      const fused = exampleNetwork(kind, [spec, actSpec]);
      const plain = exampleNetwork(kind);
      const { x } = inputs(kind, 3);
      for (const training of [false, true]) {
        const got = fused.apply(x, { training });
        const y = plain.apply(x, { training });
        const shape = definition(kind).outputShape(spec, input);
        const want = definition(act).apply(actSpec, y, {}, { opts: { training }, inShape: shape, outShape: shape, what: act });
        const diff = maxDiff(got.dataSync(), want.dataSync());
        assert.ok(diff <= 1e-5 * Math.max(1, maxAbs(want.dataSync())), `${kind} then ${act} (training ${training}): ${diff}`);
        tf.dispose([got, y, want]);
      }
      x.dispose();
      fused.dispose();
      plain.dispose();
    }
  }
});

test('each kind with a Keras form exports and the model gives the inference forward; a kind without one is refused, naming it', async () => {
  await tf.setBackend('cpu');
  for (const kind of layerKinds) {
    const net = exampleNetwork(kind);
    if ('unsupported' in definition(kind).keras) {
      assert.throws(() => kerasGenerator(net), (e: unknown) => e instanceof NotExportableError && e.message.includes(`layer 0 (${kind})`), kind);
      net.dispose();
      continue;
    }
    const model = kerasGenerator(net);
    const { x, labels } = inputs(kind, 3);
    const want = net.apply(x, { training: false, labels });
    const got = model.predict(labels ? [x, labels.reshape([3, 1])] : x) as tf.Tensor;
    assert.deepEqual(got.shape, want.shape, kind);
    const diff = maxDiff(got.dataSync(), want.dataSync());
    const scale = maxAbs(want.dataSync());
    assert.ok(scale > 1e-3, `${kind}: the output is not trivially zero`);
    assert.ok(diff <= 1e-5 * Math.max(1, scale), `${kind}: |Keras - Gantry| = ${diff}`);
    tf.dispose([x, labels, want, got]);
    model.dispose();
    net.dispose();
  }
});

test('each kind with an ONNX form exports and ONNX Runtime gives the inference forward; a kind without one is refused, naming it', async () => {
  await tf.setBackend('cpu');
  const about = { producerVersion: 'test', docString: '', metadata: {} };
  for (const kind of layerKinds) {
    const net = exampleNetwork(kind);
    if ('unsupported' in definition(kind).onnx) {
      assert.throws(() => onnxGenerator(net, about), (e: unknown) => e instanceof NotExportableError && e.message.includes(`layer 0 (${kind})`), kind);
      net.dispose();
      continue;
    }
    const session = await ort.InferenceSession.create(encodeOnnxModel(onnxGenerator(net, about).parts));
    const { x, labels, labelValues } = inputs(kind, 3);
    const want = net.apply(x, { training: false, labels });
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    if (labelValues) feeds.labels = new ort.Tensor('int64', BigInt64Array.from(labelValues, BigInt), [3]);
    const { images } = await session.run(feeds);
    assert.deepEqual(images!.dims, want.shape, kind);
    const diff = maxDiff(images!.data as Float32Array, want.dataSync());
    const scale = maxAbs(want.dataSync());
    assert.ok(scale > 1e-3, `${kind}: the output is not trivially zero`);
    assert.ok(diff <= 1e-5 * Math.max(1, scale), `${kind}: |ONNX Runtime - Gantry| = ${diff}`);
    await session.release();
    tf.dispose([x, labels, want]);
    net.dispose();
  }
});
