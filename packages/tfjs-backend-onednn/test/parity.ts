// Helpers shared by the parity tests: run the same computation on the cpu and
// onednn backends with identical inputs and compare every output.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';

import { CPU_TIERS, loadAddon, type CpuTier } from '../src/addon.js';
import { readSetting } from '../src/environment.js';
import { registerOnednnBackend } from '../src/index.js';

export const TOLERANCE = 1e-4;

/** Whether this CPU has AVX-512 and GANTRY_CPU_ISA leaves it to the backend (and to oneDNN, which it caps too). */
export function cpuHasAvx512(): boolean {
  const cap = process.env.GANTRY_CPU_ISA?.toLowerCase();
  if (cap === 'avx2' || cap === 'generic') return false;
  // (an arm64 process under emulation reads the x86 host's /proc/cpuinfo)
  if (process.arch !== 'x64') return false;
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** The CPU tier this process's addon runs on, and every lower one (the tiers this CPU can run, capped by GANTRY_CPU_ISA). */
export function cpuTiersHere(): CpuTier[] {
  const load = loadAddon();
  if (!load.ok) return [];
  return CPU_TIERS.slice(0, CPU_TIERS.indexOf(load.addon.cpuTier()) + 1);
}

/** Set in the child processes of testOnLowerCpuTiers, so that they do not start more. */
const TIER_CHILD_ENV = 'GANTRY_TEST_TIER_CHILD';

/**
 * Runs every test of a file on each CPU tier below this process's, in a child process per tier
 * (`node --test` of the same file with GANTRY_CPU_ISA set: the tier is chosen when the addon
 * loads), one test each here. With the tier this process runs, the file's tests run on every
 * tier this CPU has. Call it from the file itself with import.meta.url.
 */
export function testOnLowerCpuTiers(fileUrl: string): void {
  if (readSetting('GANTRY_TEST_TIER_CHILD')) return;
  const file = fileURLToPath(fileUrl);
  for (const tier of cpuTiersHere().slice(0, -1).reverse()) {
    test(`every test of this file again on the ${tier} tier (GANTRY_CPU_ISA=${tier}, in a child process)`, () => {
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
        // (without the runner's NODE_TEST_CONTEXT, which would make the child report to this process's runner)
        env: { ...process.env, GANTRY_CPU_ISA: tier, [TIER_CHILD_ENV]: '1', NODE_TEST_CONTEXT: undefined },
        encoding: 'utf8', maxBuffer: 64 << 20,
      });
      const failed = run.stdout.split('\n').filter((line) => line.startsWith('not ok'));
      assert.equal(run.status, 0, `on the ${tier} tier: ${failed.join('; ') || run.stderr.slice(-2000)}\n${run.stdout.slice(-4000)}`);
      assert.match(run.stdout, /^# fail 0$/m);
    });
  }
}

/**
 * Runs `body` in a fresh Node process with the given environment added (for settings read when
 * the addon loads) and returns what it printed as JSON. In scope there: tf (on the onednn
 * backend), nativeAddon, convGeometry and randomTensor.
 */
export function runInChild<T>(body: string, env: NodeJS.ProcessEnv): T {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import { registerOnednnBackend } from '../src/index.js';
    import { nativeAddon } from '../src/addon.js';
    import { convGeometry } from '../src/kernels/conv_utils.js';
    import { randomTensor } from './parity.js';
    registerOnednnBackend();
    await tf.setBackend('onednn');
    ${body}
  `;
  const here = fileURLToPath(new URL('.', import.meta.url));
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script],
    { cwd: here, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 })) as T;
}

export function ensureBackend(): void {
  assert.equal(registerOnednnBackend(), true, 'the onednn addon must load for these tests');
}

/** Deterministic values in [-1, 1) (a small LCG, so every backend sees the same data). */
export function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < size; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed), shape);
}

interface Snapshot {
  shape: number[];
  dtype: string;
  values: Float32Array | Int32Array | Uint8Array;
}

type Outputs = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

function snapshot(out: Outputs): Snapshot[] {
  const list = out instanceof tf.Tensor ? [out] : Array.isArray(out) ? out : Object.values(out);
  return list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.dataSync().slice() as Snapshot['values'] }));
}

/** max |a - b| / (max |b| + 1e-12): error relative to the reference tensor's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; ++i) {
    const d = Math.abs(a[i]! - b[i]!);
    err = Number.isNaN(d) ? (Number.isNaN(a[i]!) && Number.isNaN(b[i]!) ? err : Infinity) : Math.max(err, d);
    if (!Number.isNaN(b[i]!)) scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / (scale + 1e-12);
}

export async function runOn(backend: string, f: () => Outputs): Promise<Snapshot[]> {
  await tf.setBackend(backend);
  let result: Snapshot[] = [];
  tf.tidy(() => {
    result = snapshot(f());
  });
  return result;
}

/**
 * Runs f on cpu and on onednn and asserts equal shapes, dtypes and values
 * within `tol` relative error. Returns the onednn snapshot.
 */
export async function assertParity(label: string, f: () => Outputs, tol = TOLERANCE): Promise<Snapshot[]> {
  const want = await runOn('cpu', f);
  const got = await runOn('onednn', f);
  assert.equal(got.length, want.length, `${label}: number of outputs`);
  want.forEach((w, i) => {
    const g = got[i]!;
    assert.deepEqual(g.shape, w.shape, `${label}: shape of output ${i}`);
    assert.equal(g.dtype, w.dtype, `${label}: dtype of output ${i}`);
    const e = relativeError(g.values, w.values);
    assert.ok(e <= tol, `${label}: output ${i} relative error ${e} > ${tol}`);
  });
  return got;
}

/** Forward value plus gradients of sum(f(xs) * probe) w.r.t. every input. */
export function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], probeSeed = 99): tf.Tensor[] {
  const y = f(...xs);
  const probe = randomTensor(y.shape, probeSeed);
  const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), probe)))(xs);
  return [y, ...grads];
}

export type ConvPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
/** A conv2d of x (NHWC) with a k x k filter to `cout` channels. */
export interface ConvCase { name: string; x: number[]; k: number; cout: number; stride: number; pad: ConvPad }

/** One test per case: conv2d's value and its gradients for x and the filter, against cpu. */
export function testConvCases(title: string, cases: ConvCase[], tol = TOLERANCE): void {
  for (const c of cases) {
    test(`${title}, ${c.name}`, async () => {
      await assertParity(c.name, () => {
        const x = randomTensor(c.x, 1);
        const w = randomTensor([c.k, c.k, c.x[3]!, c.cout], 2);
        return valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), [x, w]);
      }, tol);
    });
  }
}
