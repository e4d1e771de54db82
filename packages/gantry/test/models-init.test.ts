import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { Network, type NetworkSpec } from 'gantry-core/models/network.js';
import { Gan } from 'gantry-core/train/gan.js';

await tf.setBackend('cpu');

/** Every kind that draws kernels: dense, conv, transposed conv, a residual block, the conditioning heads. */
const spec: NetworkSpec = {
  input: [8, 8, 4],
  layers: [
    { kind: 'conv2d', filters: 16, kernel: 3, stride: 1, padding: 'same' },
    { kind: 'conv2dTranspose', filters: 8, kernel: 4, stride: 2, padding: 'same' },
    { kind: 'resBlockDown', filters: 16 },
    { kind: 'flatten' },
    { kind: 'dense', units: 32 },
    { kind: 'projection', classes: 3 },
  ],
};

const byName = (net: Network) => new Map(net.allVariables().map((v) => [v.name, Array.from(v.variable.dataSync())]));
const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
};

test('init normal draws every kernel and embedding from N(0, std) whatever its fans; biases and batchnorm are as under Glorot', () => {
  const glorot = new Network('D', spec, 4, 2);
  const normal = new Network('D', spec, 4, 2, { kind: 'normal', std: 0.02 });
  const a = byName(glorot);
  const b = byName(normal);
  assert.deepEqual([...a.keys()], [...b.keys()], 'the same variables');
  let drawn = 0;
  for (const [name, values] of b) {
    if (/(kernel|embedding)$/.test(name)) {
      drawn++;
      const { mean, std } = stats(values);
      // within five standard errors of N(0, 0.02) for this many values
      const n = values.length;
      assert.ok(Math.abs(std - 0.02) < (5 * 0.02) / Math.sqrt(2 * n), `${name}: std ${std} over ${n} values`);
      assert.ok(Math.abs(mean) < (5 * 0.02) / Math.sqrt(n), `${name}: mean ${mean} over ${n} values`);
      assert.notDeepEqual(values, a.get(name), `${name} differs from its Glorot draw`);
    } else {
      assert.deepEqual(values, a.get(name), `${name} does not depend on the initializer`);
    }
  }
  assert.equal(drawn, 8, 'conv, transposed conv, the block\'s three convs, dense, the projection\'s kernel and embedding');
  // Glorot's spread follows the fans: the first conv's limit is sqrt(6 / (36 + 144)) = 0.18, std 0.105
  const convGlorot = stats(a.get('D/0_conv2d/kernel')!);
  assert.ok(convGlorot.std > 0.08, `Glorot's first conv spreads wider (std ${convGlorot.std})`);
  glorot.dispose();
  normal.dispose();
});

test('the config\'s init reaches G and D: the same seed gives the same weights, and glorot-uniform is the default', () => {
  const tiny = { preset: 'dcgan-mnist', steps: 1 };
  const normal = resolveTrainConfig({ init: { kind: 'normal', std: 0.05 } }, tiny);
  assert.deepEqual(normal.init, { kind: 'normal', std: 0.05 });
  assert.deepEqual(resolveTrainConfig({}, tiny).init, { kind: 'glorot-uniform' });
  const g1 = new Gan(normal);
  const g2 = new Gan(normal);
  const g0 = new Gan(resolveTrainConfig({}, tiny));
  for (const net of ['G', 'D'] as const) {
    const k1 = g1[net].trainable.find((v) => v.name.endsWith('kernel'))!;
    const k2 = g2[net].trainable.find((v) => v.name === k1.name)!;
    const k0 = g0[net].trainable.find((v) => v.name === k1.name)!;
    const values = Array.from(k1.variable.dataSync());
    assert.deepEqual(values, Array.from(k2.variable.dataSync()), `${net}: seeded`);
    assert.ok(Math.abs(stats(values).std - 0.05) < 0.01, `${net} ${k1.name}: std ${stats(values).std}`);
    assert.notDeepEqual(values, Array.from(k0.variable.dataSync()));
  }
  for (const g of [g0, g1, g2]) g.dispose();
});

test('a bad init is refused with a sentence that says what to give', () => {
  const refused = (init: unknown, message: RegExp) =>
    assert.throws(() => resolveTrainConfig({ init }, {}), (e: unknown) => e instanceof UsageError && message.test(e.message), String(message));
  refused('normal', /^config: init must be an object; give \{"kind": "glorot-uniform"\} \(the default\) or \{"kind": "normal", "std": 0\.02\}$/);
  refused({ kind: 'he' }, /init\.kind must be "glorot-uniform" or "normal"/);
  refused({ kind: 'normal' }, /init\.std must be a number above 0 and at most 10, got undefined/);
  refused({ kind: 'normal', std: -1 }, /init\.std must be a number above 0/);
  refused({ kind: 'normal', std: 0.02, mean: 1 }, /init \{"kind": "normal"\} takes only std/);
  refused({ kind: 'glorot-uniform', std: 0.02 }, /takes no other keys/);
});
