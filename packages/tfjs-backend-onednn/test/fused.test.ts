import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { fused, fusedReference } from '../src/index.js';
import { TOLERANCE, ensureBackend, randomTensor, randomValues, relativeError, runOn, valueAndGrads } from './parity.js';

before(ensureBackend);

/** Runs the fused op on onednn and the reference on cpu, compares every output. */
async function assertFusedMatchesReference(label: string, run: (impl: typeof fused) => tf.Tensor[]) {
  const want = await runOn('cpu', () => run(fusedReference));
  const got = await runOn('onednn', () => run(fused));
  assert.equal(got.length, want.length);
  want.forEach((w, i) => {
    assert.deepEqual(got[i]!.shape, w.shape, `${label}: shape of output ${i}`);
    const e = relativeError(got[i]!.values, w.values);
    assert.ok(e <= TOLERANCE, `${label}: output ${i} relative error ${e}`);
  });
}

// [131, 37] and [3, 7, 9, 33]: the native sums take 16 channels and two rows at a time in blocks
// of 64 rows; these shapes leave channels, a row and part of a block over.
for (const [activation, alpha] of [['linear', 0], ['relu', 0], ['leakyrelu', 0.2]] as const) for (const shape of [[6, 5], [4, 3, 5, 6], [131, 37], [3, 7, 9, 33]]) {
  test(`batchNormTraining [${shape}], ${activation}: y, mean, variance and gradients match the reference`, async () => {
    await assertFusedMatchesReference('batchNormTraining', (impl) => {
      const c = shape[shape.length - 1]!;
      const x = tf.add(tf.mul(randomTensor(shape, 1), 2), 0.5);
      const gamma = randomTensor([c], 2);
      const beta = randomTensor([c], 3);
      const { y, mean, variance } = impl.batchNormTraining(x, gamma, beta, 1e-3, activation, alpha);
      const grads = valueAndGrads((a, g, b) => impl.batchNormTraining(a!, g!, b!, 1e-3, activation, alpha).y, [x, gamma, beta]);
      // gradients that flow through mean and variance as well
      const throughStats = tf.grads((a: tf.Tensor) => {
        const r = impl.batchNormTraining(a, gamma, beta, 1e-3, activation, alpha);
        return tf.add(tf.sum(tf.mul(r.y, randomTensor(shape, 5))),
          tf.add(tf.sum(tf.mul(r.mean, 3)), tf.sum(tf.mul(r.variance, randomTensor([c], 6)))));
      })([x]);
      return [y, mean, variance, ...grads, ...throughStats];
    });
  });
}

test('batchNormTraining rejects bad ranks with a clear message', async () => {
  await tf.setBackend('onednn');
  assert.throws(() => fused.batchNormTraining(tf.zeros([2, 3, 4]), tf.ones([4]), tf.zeros([4])), /rank 2 or 4/);
});

for (const [name, alpha] of [['leakyRelu', 0.2], ['relu', 0]] as const) {
  test(`${name}: forward and gradient match the reference`, async () => {
    await assertFusedMatchesReference(name, (impl) => {
      const f = (x: tf.Tensor) => (name === 'relu' ? impl.relu(x) : impl.leakyRelu(x, alpha));
      return valueAndGrads((x) => f(x!), [randomTensor([4, 7], 1)]);
    });
  });
}

function optimizerState(seed: number, shapes: number[][]): { params: tf.Variable[]; m: tf.Variable[]; v: tf.Variable[] } {
  return {
    params: shapes.map((s, i) => tf.variable(randomTensor(s, seed + i))),
    m: shapes.map((s) => tf.variable(tf.zeros(s))),
    v: shapes.map((s) => tf.variable(tf.zeros(s))),
  };
}

// shapes include an empty parameter
const shapes = [[3, 4], [5], [0], [2, 2, 3]];

for (const optimizer of ['adam', 'sgd'] as const) {
  test(`${optimizer}Update: params${optimizer === 'adam' ? ', m and v' : ''} match the reference after 5 steps`, async () => {
    await assertFusedMatchesReference(optimizer, (impl) => {
      const state = optimizerState(10, shapes);
      for (let step = 1; step <= 5; ++step) {
        // step 3 has zero gradients
        const grads = shapes.map((s, i) =>
          step === 3 ? tf.zeros(s) : tf.tensor(randomValues(tf.util.sizeFromShape(s), 100 * step + i), s));
        const lrT = 0.01 * Math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step);
        if (optimizer === 'adam') impl.adamUpdate(state.params, grads, state.m, state.v, lrT, 0.9, 0.999, 1e-7);
        else impl.sgdUpdate(state.params, grads, 0.1);
        grads.forEach((g) => g.dispose());
      }
      const out = [...state.params, ...state.m, ...state.v].map((x) => x.clone());
      [...state.params, ...state.m, ...state.v].forEach((x) => x.dispose());
      return out;
    });
  });
}

test('adamUpdate does not write through storage shared with other tensors', async () => {
  await tf.setBackend('onednn');
  const init = tf.tensor1d([1, 2, 3]);
  const p = tf.variable(init); // shares storage with init
  const m = tf.variable(tf.zeros([3]));
  const v = tf.variable(tf.zeros([3]));
  const g = tf.tensor1d([1, 1, 1]);
  fused.adamUpdate([p], [g], [m], [v], 0.1, 0.9, 0.999, 1e-7);
  assert.deepEqual(Array.from(init.dataSync()), [1, 2, 3]);
  assert.ok(p.dataSync()[0]! < 1);
  const copy = p.clone(); // shares storage with p
  const before = Array.from(copy.dataSync());
  fused.adamUpdate([p], [g], [m], [v], 0.1, 0.9, 0.999, 1e-7);
  assert.deepEqual(Array.from(copy.dataSync()), before);
  assert.notDeepEqual(Array.from(p.dataSync()), before);
  [init, p, m, v, g, copy].forEach((t) => t.dispose());
});

test('emaUpdate gives the tf ops\' bits and leaves storage it shares alone', async () => {
  await tf.setBackend('onednn');
  const params = shapes.map((s, i) => tf.variable(randomTensor(s, 40 + i)));
  const run = (impl: typeof fused) => {
    // each average starts as its parameter, sharing its storage
    const averages = params.map((p) => tf.variable(p));
    for (const [step, decay] of [0, 0.999, 0.999, 0.5, 0.9].entries()) {
      impl.emaUpdate(averages, params, decay);
      params.forEach((p, i) => p.assign(tf.add(p, randomTensor(p.shape, 50 + 10 * step + i))));
    }
    const out = averages.map((a) => Array.from(a.dataSync()));
    averages.forEach((a) => a.dispose());
    return out;
  };
  const start = params.map((p) => p.clone());
  const got = run(fused);
  params.forEach((p, i) => p.assign(start[i]!));
  const want = run(fusedReference);
  assert.deepEqual(got, want);
  assert.ok(got[0]!.some((v, k) => v !== Array.from(start[0]!.dataSync())[k]), 'the averages moved');
  // the parameters the averages were made from were not written through
  const p = tf.variable(tf.tensor1d([1, 2, 3]));
  const a = tf.variable(p);
  fused.emaUpdate([a], [tf.tensor1d([5, 5, 5])], 0.5);
  assert.deepEqual(Array.from(p.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(a.dataSync()), [3, 3.5, 4]);
  assert.throws(() => fused.emaUpdate([a], [], 0.5), /params has 0 entries/);
  [...params, ...start, p, a].forEach((t) => t.dispose());
});

test('adamUpdate validates its lists', async () => {
  await tf.setBackend('onednn');
  const p = tf.variable(tf.zeros([2]));
  assert.throws(() => fused.adamUpdate([p], [], [p], [p], 0.1, 0.9, 0.999, 1e-7), /grads has 0 entries/);
  assert.throws(() => fused.adamUpdate([p], [tf.zeros([3])], [p], [p], 0.1, 0.9, 0.999, 1e-7), /grads\[0\] has shape/);
  p.dispose();
});

for (const shape of [[2, 3, 4, 5], [1, 6, 2, 1], [3, 1, 1, 16]]) {
  test(`upsample2x and avgPool2x [${shape}]: values, gradients and gradients of gradients match the TF.js ops`, async () => {
    await assertFusedMatchesReference('resample', (impl) => {
      const x = randomTensor(shape, 21);
      const big = randomTensor([shape[0]!, 2 * shape[1]!, 2 * shape[2]!, shape[3]!], 22);
      const up = valueAndGrads((a) => tf.mul(impl.upsample2x(a as tf.Tensor4D), randomTensor(big.shape, 23)), [x]);
      const down = valueAndGrads((a) => tf.mul(impl.avgPool2x(a as tf.Tensor4D), randomTensor(x.shape, 24)), [big]);
      // second order: the gradient of a gradient penalty through both
      const second = tf.grad((a: tf.Tensor) => {
        const inner = tf.grad((b: tf.Tensor) => tf.sum(tf.square(impl.avgPool2x(impl.upsample2x(b as tf.Tensor4D)))))(a);
        return tf.sum(tf.square(tf.mul(inner, a)));
      })(x);
      return [...up, ...down, second];
    });
  });
}

test('upsample2x and avgPool2x run their own kernels on onednn and reject odd sizes', async () => {
  await tf.setBackend('onednn');
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
  assert.deepEqual(Array.from(fused.upsample2x(x).dataSync()).slice(0, 8), [1, 2, 1, 2, 3, 4, 3, 4]);
  assert.deepEqual(Array.from(fused.avgPool2x(x).dataSync()), [4, 5]);
  assert.throws(() => fused.avgPool2x(tf.zeros([1, 3, 2, 1]) as tf.Tensor4D), /height and width must be even/);
  assert.throws(() => fused.upsample2x(tf.zeros([3, 2]) as unknown as tf.Tensor4D), /rank 4/);
});

// shifts per image: inside the image both ways, none, and past the edge (all zeros)
const TRANSLATE_SHIFTS = [1, -2, 0, 0, -3, 4, 7, 0];

test('translate: values, gradients and gradients of gradients match the reference', async () => {
  await assertFusedMatchesReference('translate', (impl) => {
    const x = randomTensor([4, 5, 6, 3], 31);
    const moved = valueAndGrads((a) => impl.translate(a as tf.Tensor4D, TRANSLATE_SHIFTS), [x]);
    const second = tf.grad((a: tf.Tensor) => {
      const inner = tf.grad((b: tf.Tensor) => tf.sum(tf.square(impl.translate(b as tf.Tensor4D, TRANSLATE_SHIFTS))))(a);
      return tf.sum(tf.square(tf.mul(inner, a)));
    })(x);
    return [...moved, second];
  });
});

test('translate runs its own kernel on onednn, moves pixels where the shifts say, and rejects bad shifts', async () => {
  await tf.setBackend('onednn');
  // one 3x3 image of one channel, 1..9, shifted by one row down and one column left:
  // out[i, j] = x[i + 1, j - 1]
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  assert.deepEqual(Array.from(fused.translate(x, [1, -1]).dataSync()), [0, 4, 5, 0, 7, 8, 0, 0, 0]);
  assert.deepEqual(Array.from(fusedReference.translate(x, [1, -1]).dataSync()), [0, 4, 5, 0, 7, 8, 0, 0, 0]);
  assert.throws(() => fused.translate(x, [1]), /a \(rows, columns\) pair per image/);
  assert.throws(() => fused.translate(x, [0.5, 0]), /whole numbers/);
});

// boxes per image (top, bottom, left, right): inside, past two edges, empty, the whole image
const CUTOUT_BOXES = [1, 3, 2, 5, -2, 2, 4, 9, 3, 3, 0, 6, 0, 5, 0, 6];

test('cutout: values, gradients and gradients of gradients have the reference\'s bits', async () => {
  await assertFusedMatchesReference('cutout', (impl) => {
    const x = randomTensor([4, 5, 6, 3], 41);
    const cut = valueAndGrads((a) => impl.cutout(a as tf.Tensor4D, CUTOUT_BOXES), [x]);
    const second = tf.grad((a: tf.Tensor) => {
      const inner = tf.grad((b: tf.Tensor) => tf.sum(tf.square(impl.cutout(b as tf.Tensor4D, CUTOUT_BOXES))))(a);
      return tf.sum(tf.square(tf.mul(inner, a)));
    })(x);
    return [...cut, second];
  });
  // the same bits, -0 included, on a batch large enough to run on every thread
  await tf.setBackend('onednn');
  const x = randomTensor([64, 64, 64, 4], 42) as tf.Tensor4D;
  const boxes = Array.from({ length: 64 }, (_, b) => [b % 40 - 8, b % 40 + 24, (3 * b) % 50 - 10, (3 * b) % 50 + 22]).flat();
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  assert.deepEqual(bits(fused.cutout(x, boxes)), bits(fusedReference.cutout(x, boxes)));
});

test('cutout runs its own kernel on onednn, zeroes the box it is given, and rejects bad boxes', async () => {
  await tf.setBackend('onednn');
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  // rows 1 and 2, columns 0 and 1
  assert.deepEqual(Array.from(fused.cutout(x, [1, 3, 0, 2]).dataSync()), [1, 2, 3, 0, 0, 6, 0, 0, 9]);
  assert.deepEqual(Array.from(fusedReference.cutout(x, [1, 3, 0, 2]).dataSync()), [1, 2, 3, 0, 0, 6, 0, 0, 9]);
  const profile = await tf.profile(() => fused.cutout(x, [0, 1, 0, 1]));
  assert.deepEqual(profile.kernels.map((k) => k.name), ['OnednnCutout']);
  assert.throws(() => fused.cutout(x, [1, 3, 0]), /\(top, bottom, left, right\) per image/);
  assert.throws(() => fused.cutout(x, [0, 1.5, 0, 1]), /whole numbers/);
});

test('the resampling references give the TF.js ops\' values', async () => {
  await tf.setBackend('cpu');
  const x = randomTensor([2, 4, 6, 3], 25) as tf.Tensor4D;
  const up = fusedReference.upsample2x(x).dataSync();
  assert.deepEqual(Array.from(up), Array.from(tf.image.resizeNearestNeighbor(x, [8, 12]).dataSync()));
  const down = fusedReference.avgPool2x(x).dataSync();
  const pooled = tf.avgPool(x, 2, 2, 'valid').dataSync();
  assert.ok(down.every((v, i) => Math.abs(v - pooled[i]!) < 1e-6));
});

for (const [pad, strides] of [['same', 1], ['valid', 2], ['same', 2]] as const) {
  test(`conv2dBias ${pad} stride ${strides}: value and all three gradients match conv2d + bias`, async () => {
    await assertFusedMatchesReference('conv2dBias', (impl) =>
      valueAndGrads((x, w, b) => impl.conv2dBias(x as tf.Tensor4D, w as tf.Tensor4D, b!, strides, pad),
        [randomTensor([2, 7, 6, 5], 31), randomTensor([3, 3, 5, 4], 32), randomTensor([4], 33)]));
  });
}

// The activation's gradient comes from the output: y > 0 exactly where the conv's result is.
// Inputs of 1 and 3 channels run the backend's own few-channel kernels; 5 channels, oneDNN's.
for (const [activation, alpha] of [['relu', 0], ['leakyrelu', 0.2], ['leakyrelu', 0.01]] as const) {
  for (const [cin, cout, strides, pad] of [[5, 4, 1, 'same'], [1, 16, 2, 'same'], [3, 16, 1, 'valid']] as const) {
    test(`conv2dBias with ${activation} (alpha ${alpha}), ${cin} to ${cout} channels, ${pad} stride ${strides}: value and gradients match the plain ops`, async () => {
      await assertFusedMatchesReference(`conv2dBias ${activation}`, (impl) =>
        valueAndGrads((x, w, b) => impl.conv2dBias(x as tf.Tensor4D, w as tf.Tensor4D, b!, strides, pad, activation, alpha),
          [randomTensor([2, 9, 8, cin], 51), randomTensor([3, 3, cin, cout], 52), randomTensor([cout], 53)]));
    });
  }
}

test('conv2dBias with an activation: one convolution kernel, no separate activation pass', async () => {
  await tf.setBackend('onednn');
  const x = randomTensor([2, 6, 6, 5], 54) as tf.Tensor4D;
  const w = randomTensor([3, 3, 5, 4], 55) as tf.Tensor4D;
  const b = randomTensor([4], 56);
  const { kernels } = await tf.profile(() => fused.conv2dBias(x, w, b, 1, 'same', 'leakyrelu', 0.2));
  assert.deepEqual(kernels.map((k) => k.name), ['OnednnConv2DBiasActivation']);
  // about half of the outputs are negative: leaky relu really ran inside
  const y = fused.conv2dBias(x, w, b, 1, 'same', 'leakyrelu', 0.2);
  const linear = fused.conv2dBias(x, w, b, 1, 'same');
  const yv = y.dataSync(), lv = linear.dataSync();
  let negatives = 0;
  lv.forEach((v, i) => {
    if (v < 0) negatives++;
    assert.ok(Math.abs(yv[i]! - (v > 0 ? v : 0.2 * v)) <= 1e-6 * Math.max(1, Math.abs(v)));
  });
  assert.ok(negatives > 10, `only ${negatives} negative outputs`);
  tf.dispose([x, w, b, y, linear]);
});

test('batchNormTraining with an activation: one kernel forward and one backward, about half the outputs at the activation\'s lower branch', async () => {
  await tf.setBackend('onednn');
  const x = randomTensor([8, 3, 3, 4], 57);
  const gamma = tf.add(randomTensor([4], 58), 1.5);
  const beta = randomTensor([4], 59);
  const probe = randomTensor([8, 3, 3, 4], 60);
  const loss = (a: tf.Tensor) => tf.sum(tf.mul(fused.batchNormTraining(a, gamma, beta, 1e-3, 'relu').y, probe));
  const { kernels } = await tf.profile(() => tf.grad(loss)(x));
  const names = kernels.map((k) => k.name);
  assert.deepEqual(names.filter((n) => n.startsWith('Onednn') || n === 'Relu'), ['OnednnBatchNormTrainingActivation', 'OnednnBatchNormTrainingGrad'], names.join(' '));
  const y = fused.batchNormTraining(x, gamma, beta, 1e-3, 'relu').y.dataSync();
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(zeros > 80 && zeros < 208, `${zeros} of 288 outputs are 0`);
  tf.dispose([x, gamma, beta, probe]);
});

test('conv2dBias rejects an activation it cannot fuse', () => {
  const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
  const w = tf.zeros([3, 3, 1, 2]) as tf.Tensor4D;
  assert.throws(() => fused.conv2dBias(x, w, tf.zeros([2]), 1, 'same', 'elu' as 'relu'), /activation must be 'linear', 'relu' or 'leakyrelu', got 'elu'/);
  tf.dispose([x, w]);
});

test('conv2dBias computes only the gradients asked for (no filter gradient for the input alone)', async () => {
  await tf.setBackend('onednn');
  const x = randomTensor([2, 6, 6, 3], 34) as tf.Tensor4D;
  const w = randomTensor([3, 3, 3, 4], 35) as tf.Tensor4D;
  const b = randomTensor([4], 36);
  const kernelsOf = async (f: () => tf.Tensor) => (await tf.profile(() => f())).kernels.map((k) => k.name);
  const inputOnly = await kernelsOf(() => tf.grad((a: tf.Tensor) => tf.sum(fused.conv2dBias(a as tf.Tensor4D, w, b, 1, 'same')))(x));
  assert.ok(inputOnly.includes('Conv2DBackpropInput'));
  assert.ok(!inputOnly.includes('Conv2DBackpropFilter'), inputOnly.join(' '));
  const filterOnly = await kernelsOf(() => tf.grad((f: tf.Tensor) => tf.sum(fused.conv2dBias(x, f as tf.Tensor4D, b, 1, 'same')))(w));
  assert.ok(filterOnly.includes('Conv2DBackpropFilter'));
  assert.ok(!filterOnly.includes('Conv2DBackpropInput'), filterOnly.join(' '));
});

for (const shape of [[3, 3, 4, 5], [6, 1], [2, 2, 3, 8]]) {
  test(`spectralNorm [${shape}]: normalised kernel, sigma, next u and the gradient match the reference`, async () => {
    await assertFusedMatchesReference('spectralNorm', (impl) => {
      const w = randomTensor(shape, 41);
      const u = tf.div(randomTensor([1, shape[shape.length - 1]!], 42), 2);
      const r = impl.spectralNorm(w, u);
      // a loss through both the kernel and sigma
      const grads = tf.grads((a: tf.Tensor) => {
        const s = impl.spectralNorm(a, u);
        return tf.add(tf.sum(tf.mul(s.w, randomTensor(shape, 43))), tf.mul(s.sigma, 0.7));
      })([w]);
      return [r.w, r.sigma, r.u, ...grads];
    });
  });
}

test('spectralNorm runs one kernel forward and one backward on onednn, and rejects a mismatched u', async () => {
  await tf.setBackend('onednn');
  const w = randomTensor([3, 3, 4, 5], 44);
  const u = randomTensor([1, 5], 45);
  const { kernels } = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(fused.spectralNorm(a, u).w))(w));
  const names = kernels.map((k) => k.name);
  assert.equal(names.filter((k) => k === 'OnednnSpectralNorm').length, 1);
  assert.equal(names.filter((k) => k === 'OnednnSpectralNormGrad').length, 1);
  assert.ok(!names.includes('BatchMatMul'), names.join(' '));
  assert.throws(() => fused.spectralNorm(w, randomTensor([1, 4], 46)), /as many elements as w's last axis \(5\)/);
});

// The two resample-convolutions. Upsampling takes odd sizes too, pooling even ones; both get one
// channel, more channels out than in and fewer, and non-square images.
const resampleConvs = [
  {
    op: 'upsampleConv2dBias', kernel: 'OnednnUpsampleConv2D', separate: 'OnednnUpsample2x', x: [2, 5, 4, 3], y: [2, 10, 8, 4], filter4: [4, 4, 4, 3],
    sizes: [[2, 3, 5, 4, 6], [1, 4, 4, 1, 3], [3, 2, 7, 16, 8], [2, 6, 6, 8, 16]],
  },
  {
    op: 'convAvgPool2dBias', kernel: 'OnednnConv2DAvgPool', separate: 'OnednnSumPool2x', x: [2, 6, 4, 3], y: [2, 3, 2, 4], filter4: [4, 4, 3, 4],
    sizes: [[2, 4, 6, 4, 6], [1, 2, 2, 1, 3], [3, 8, 2, 16, 8], [2, 6, 6, 8, 16]],
  },
] as const;

for (const c of resampleConvs) {
  for (const [n, h, w, cin, cout] of c.sizes) {
    test(`${c.op} [${n}x${h}x${w}x${cin} to ${cout}]: values and gradients match the resampling, convolution and bias in plain ops`, async () => {
      await assertFusedMatchesReference(c.op, (impl) =>
        valueAndGrads((x, f, b) => impl[c.op](x as tf.Tensor4D, f as tf.Tensor4D, b!),
          [randomTensor([n, h, w, cin], 61), randomTensor([3, 3, cin, cout], 62), randomTensor([cout], 63)]));
    });
  }

  test(`${c.op} on onednn: one 4x4 stride-2 kernel each way with the bias inside, no full-size intermediate, and the separate ops for other filter sizes`, async () => {
    await tf.setBackend('onednn');
    const op = fused[c.op];
    const x = randomTensor([...c.x], 64) as tf.Tensor4D;
    const f = randomTensor([3, 3, 3, 4], 65) as tf.Tensor4D;
    const b = randomTensor([4], 66);
    const { kernels } = await tf.profile(() => tf.grads((a: tf.Tensor, g: tf.Tensor) => tf.sum(op(a as tf.Tensor4D, g as tf.Tensor4D, b)))([x, f]));
    const names = kernels.map((k) => k.name);
    for (const suffix of ['', 'GradInput', 'GradFilter']) {
      assert.equal(names.filter((k) => k === c.kernel + suffix).length, 1, names.join(' '));
    }
    const separate = ['OnednnUpsample2x', 'OnednnSumPool2x', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Add'];
    assert.ok(!names.some((k) => separate.includes(k)), names.join(' '));
    const main = kernels.find((k) => k.name === c.kernel)!;
    assert.deepEqual(main.inputShapes, [c.x, c.filter4, [4]]);
    assert.deepEqual(main.outputShapes, [c.y]);
    // a 1x1 filter takes the separate ops, with the plain ops' values
    const f1 = randomTensor([1, 1, 3, 4], 67) as tf.Tensor4D;
    const one = await tf.profile(() => op(x, f1, b));
    assert.ok(one.kernels.some((k) => k.name === c.separate), one.kernels.map((k) => k.name).join(' '));
    const got = op(x, f1, b).dataSync();
    const want = await runOn('cpu', () => [fusedReference[c.op](x, f1, b)]);
    await tf.setBackend('onednn');
    assert.ok(relativeError(got, want[0]!.values) <= TOLERANCE);
    assert.throws(() => op(x, randomTensor([3, 3, 2, 4], 68) as tf.Tensor4D, b), /filter must be \[kh, kw, 3, cout\]/);
    tf.dispose([x, f, b, f1]);
  });
}

test('convAvgPool2dBias rejects odd sizes', () => {
  const f = tf.zeros([3, 3, 3, 4]) as tf.Tensor4D;
  assert.throws(() => fused.convAvgPool2dBias(tf.zeros([1, 3, 4, 3]) as tf.Tensor4D, f, tf.zeros([4])), /height and width must be even/);
  f.dispose();
});

test('the 4x4 filters of the resample-convolutions: tap sums by hand, and a gradient that is the transposed map', async () => {
  await tf.setBackend('onednn');
  const [cin, cout] = [3, 5];
  const w = randomTensor([3, 3, cin, cout], 81) as tf.Tensor4D;
  const wv = w.dataSync();
  const at = (ky: number, kx: number, i: number, o: number) => wv[((ky * 3 + kx) * cin + i) * cout + o]!;
  const sets = { up: [[2], [1, 2], [0, 1], [0]], pool: [[0], [0, 1], [1, 2], [2]] };
  for (const mode of ['up', 'pool'] as const) {
    const f = tf.engine().runKernel('OnednnResampleFilter', { filter: w }, { mode }) as tf.Tensor;
    assert.deepEqual(f.shape, mode === 'up' ? [4, 4, cout, cin] : [4, 4, cin, cout]);
    const fv = f.dataSync();
    for (let ky = 0; ky < 4; ky++) for (let kx = 0; kx < 4; kx++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
      let want = 0;
      for (const dy of sets[mode][ky]!) for (const dx of sets[mode][kx]!) want += at(dy, dx, i, o);
      if (mode === 'pool') want *= 0.25;
      const got = fv[mode === 'up' ? ((ky * 4 + kx) * cout + o) * cin + i : ((ky * 4 + kx) * cin + i) * cout + o]!;
      assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${mode} [${ky},${kx},${i},${o}]: ${got} against ${want}`);
    }
    // <F(w), g> = <w, F'(g)> for the linear map F and its gradient F'
    const g = randomTensor(f.shape, 82);
    const dw = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.engine().runKernel('OnednnResampleFilter', { filter: a }, { mode }) as tf.Tensor, g)))(w);
    assert.deepEqual(dw.shape, [3, 3, cin, cout]);
    const lhs = tf.sum(tf.mul(f, g)).dataSync()[0]!;
    const rhs = tf.sum(tf.mul(w, dw)).dataSync()[0]!;
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)), `${mode}: ${lhs} against ${rhs}`);
    tf.dispose([f, g, dw]);
  }
  assert.throws(() => tf.engine().runKernel('OnednnResampleFilter', { filter: randomTensor([1, 1, 2, 2], 83) }, { mode: 'up' }), /must be 3x3/);
  w.dispose();
});
