// 3x3 stride-1 convolutions with 32 or more channels run on oneDNN's Winograd kernels where the
// CPU and oneDNN have them (native/conv.cc): the same values and gradients as the cpu backend, the
// same bits on every run, the kernels chosen as documented, and GANTRY_WINOGRAD=0 turning them off.
// Where oneDNN has none, the same layers run on its direct kernels.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { nativeAddon } from '../src/addon.js';
import { convGeometry } from '../src/kernels/conv_utils.js';
import { setThreads } from '../src/index.js';
import { assertParity, cpuHasAvx512, ensureBackend, randomTensor, relativeError, runInChild, runOn, testConvCases, valueAndGrads, type ConvCase, type ConvPad } from './parity.js';

before(ensureBackend);
after(() => setThreads(1));

/** Whether the CPU has AVX-512, with no cap on oneDNN's instruction set. */
function hasAvx512(): boolean {
  if (process.env.ONEDNN_MAX_CPU_ISA || process.env.DNNL_MAX_CPU_ISA) return false;
  return cpuHasAvx512();
}

/**
 * Whether oneDNN has its f32 Winograd kernels here: AVX-512 and oneDNN 2.x. oneDNN 3.0 dropped
 * them on x86-64 (its Winograd algorithm is then unimplemented and conv.cc falls back to the
 * direct kernels, as on a CPU without AVX-512).
 */
function hasWinograd(): boolean {
  return hasAvx512() && Number(nativeAddon().version().split('.')[0]) < 3;
}

/** The Winograd flags a test expects where the kernels exist: none where they do not. */
function whereWinograd(flags: boolean[]): boolean[] {
  return hasWinograd() ? flags : flags.map(() => false);
}

const cases: ConvCase[] = [
  { name: '64 channels, 8x8 same (all three passes on Winograd)', x: [2, 8, 8, 64], k: 3, cout: 64, stride: 1, pad: 'same' },
  { name: '128 to 64 channels, 10x12 same (partial output tiles)', x: [2, 10, 12, 128], k: 3, cout: 64, stride: 1, pad: 'same' },
  { name: '32 to 48 channels, 9x7 valid (the filter gradient stays direct)', x: [3, 9, 7, 32], k: 3, cout: 48, stride: 1, pad: 'valid' },
  // oneDNN's Winograd input gradient came out wrong here: these stay direct
  { name: '64 channels, one-sided explicit padding', x: [1, 7, 9, 64], k: 3, cout: 64, stride: 1, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] },
  { name: '64 channels, padding on the height only', x: [2, 6, 8, 64], k: 3, cout: 64, stride: 1, pad: [[0, 0], [1, 1], [0, 0], [0, 0]] },
];

testConvCases('conv2d on Winograd kernels', cases);

for (const activation of ['linear', 'relu', 'leakyrelu', 'elu', 'sigmoid'] as const) {
  test(`fused conv2d with bias and ${activation}, 64 channels`, async () => {
    await assertParity(activation, () => {
      const x = randomTensor([2, 8, 8, 64], 7);
      const w = randomTensor([3, 3, 64, 64], 8);
      const bias = randomTensor([64], 9);
      return valueAndGrads((a, b, c) => tf.fused.conv2d({
        x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation, leakyreluAlpha: 0.2,
      }), [x, w, bias]);
    });
  });
}

/** The geometry the kernels hand the addon for conv2d(x, [3, 3, cin, cout]). */
function geometry(x: number[], cout: number, pad: ConvPad = 'same'): Int32Array {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], [3, 3, x[3]!, cout], 1, 1,
    pad as 'same' | 'valid');
  const g = convGeometry(info);
  assert.ok(g, 'geometry');
  return g;
}

/** oneDNN's kernel names for the forward pass, input gradient and filter gradient of a conv2d that ran. */
async function implementations(x: number[], cout: number, pad: ConvPad = 'same'): Promise<string[]> {
  await runOn('onednn', () => valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad as 'same'),
    [randomTensor(x, 1), randomTensor([3, 3, x[3]!, cout], 2)]));
  const g = geometry(x, cout, pad);
  const addon = nativeAddon();
  return [0, 1, 2].map((kind) => addon.conv2dImplementation(kind, g, 0, 0, 0));
}

test('the Winograd kernels run where they are faster, the direct ones elsewhere', async (t) => {
  if (!hasAvx512()) {
    t.skip('this CPU has no AVX-512, so oneDNN has no Winograd kernels here');
    return;
  }
  const wino = (s: string) => s.includes('wino');
  const at64 = await implementations([2, 8, 8, 64], 64);
  assert.deepEqual(at64.map(wino), whereWinograd([true, true, true]), `64 channels: ${at64.join(', ')}`);
  const at32 = await implementations([2, 8, 8, 32], 32);
  assert.deepEqual(at32.map(wino), whereWinograd([true, true, false]), `32 channels: ${at32.join(', ')}`);
  const at16 = await implementations([2, 8, 8, 16], 16);
  assert.deepEqual(at16.map(wino), [false, false, false], `16 channels: ${at16.join(', ')}`);
  assert.ok([...at64, ...at32, ...at16].every((s) => s.length > 0), 'every pass ran on oneDNN');
  const strided = await (async () => {
    await runOn('onednn', () => [tf.conv2d(randomTensor([2, 8, 8, 64], 1) as tf.Tensor4D, randomTensor([3, 3, 64, 64], 2) as tf.Tensor4D, 2, 'same')]);
    const info = tf.backend_util.computeConv2DInfo([2, 8, 8, 64], [3, 3, 64, 64], 2, 1, 'same');
    return nativeAddon().conv2dImplementation(0, convGeometry(info)!, 0, 0, 0);
  })();
  assert.ok(strided.length > 0 && !wino(strided), `stride 2: ${strided}`);
});

test('on two threads: few output tiles per thread keep the direct kernels, the same bits on every run', async (t) => {
  setThreads(2);
  try {
    // 100 MFLOP and more run on two threads: 32x8x8 has 64 tiles of 4x4 per thread, 64x8x8 has 128
    const small = [32, 8, 8, 128];
    const large = [64, 8, 8, 128];
    const run = () => runOn('onednn', () => [small, large].flatMap((x) => valueAndGrads(
      (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [randomTensor(x, 3), randomTensor([3, 3, 128, 128], 4)])));
    const first = await run();
    const second = await run();
    first.forEach((s, i) => assert.deepEqual(second[i]!.values, s.values, `output ${i} differs between runs`));
    if (!hasAvx512()) {
      t.skip('no AVX-512: the choice of kernels is not checked');
      return;
    }
    const addon = nativeAddon();
    const names = (x: number[]) => [0, 1, 2].map((kind) => addon.conv2dImplementation(kind, geometry(x, 128), 0, 0, 0));
    assert.deepEqual(names(small).map((s) => s.includes('wino')), whereWinograd([false, false, true]), names(small).join(', '));
    assert.deepEqual(names(large).map((s) => s.includes('wino')), whereWinograd([true, true, true]), names(large).join(', '));
  } finally {
    setThreads(1);
  }
});

test('GANTRY_WINOGRAD=0, and a CPU without the Winograd kernels, keep the convolution direct with the same values', (t) => {
  if (!hasAvx512()) {
    t.skip('this CPU has no AVX-512');
    return;
  }
  // prints the forward pass's kernel and the values of a 64-channel convolution
  const body = `
    const y = tf.conv2d(randomTensor([2, 8, 8, 64], 1), randomTensor([3, 3, 64, 64], 2), 1, 'same').dataSync();
    const info = tf.backend_util.computeConv2DInfo([2, 8, 8, 64], [3, 3, 64, 64], 1, 1, 'same');
    console.log(JSON.stringify({ impl: nativeAddon().conv2dImplementation(0, convGeometry(info), 0, 0, 0), y: Array.from(y) }));
  `;
  const run = (env: NodeJS.ProcessEnv) => runInChild<{ impl: string; y: number[] }>(body, env);
  const on = run({});
  const off = run({ GANTRY_WINOGRAD: '0' });
  // oneDNN capped at AVX2 has no Winograd kernel: the primitive falls back to the direct one
  const avx2 = run({ ONEDNN_MAX_CPU_ISA: 'AVX2' });
  assert.equal(on.impl.includes('wino'), hasWinograd(), `default: ${on.impl}`);
  assert.ok(off.impl.length > 0 && !off.impl.includes('wino'), `GANTRY_WINOGRAD=0: ${off.impl}`);
  // without Winograd kernels the default is the direct kernel that GANTRY_WINOGRAD=0 chooses
  if (!hasWinograd()) assert.deepEqual([on.impl, on.y], [off.impl, off.y], 'no Winograd: the same kernel and bits');
  assert.ok(avx2.impl.length > 0 && !avx2.impl.includes('wino') && avx2.impl.includes('avx2'), `AVX2 only: ${avx2.impl}`);
  for (const other of [off, avx2]) {
    assert.ok(relativeError(on.y, other.y) < 1e-5, `${other.impl}: relative error ${relativeError(on.y, other.y)}`);
  }
});
