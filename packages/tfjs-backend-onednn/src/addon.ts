// Loads the native addon lazily. Nothing here throws: a missing .node file or
// a missing libdnnl is reported as a reason the user can act on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { backendSettingNames, readSetting, settingProblemAmong } from './environment.js';

/** The flat native interface. TypeScript computes shapes; C++ checks and computes. */
export interface OnednnAddon {
  conv2dForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array,
    geometry: Int32Array, activation: number, alpha: number): void;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  /** oneDNN's name for the kernel a convolution that already ran uses (kind 0 forward, 1 input
   * gradient, 2 filter gradient); '' when it did not run through oneDNN. */
  conv2dImplementation(kind: number, geometry: Int32Array, withBias: number, activation: number, alpha: number): string;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array,
    bias: Float32Array | null, activation: number, alpha: number): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array | Uint8Array,
    outShape: Int32Array, aStrides: Int32Array, bStrides: Int32Array, alpha: number): void;
  select(condition: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  fill(out: Float32Array, value: number): void;
  reduce(op: number, x: Float32Array, y: Float32Array, outer: number, reduced: number, inner: number,
    scale: number): void;
  activationGradSum(dy: Float32Array, y: Float32Array, g: Float32Array, sum: Float32Array, rows: number,
    channels: number, alpha: number): void;
  batchNormTrain(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array,
    mean: Float32Array, variance: Float32Array, channels: number, epsilon: number, activation: number, alpha: number): void;
  batchNormTrainGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array,
    variance: Float32Array, dmean: Float32Array | null, dvariance: Float32Array | null,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, channels: number, epsilon: number,
    y: Float32Array | null, alpha: number): void;
  batchNormInfer(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, y: Float32Array, channels: number, epsilon: number): void;
  adamUpdate(params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
    lrT: number, beta1: number, beta2: number, epsilon: number): void;
  sgdUpdate(params: Float32Array[], grads: Float32Array[], lr: number): void;
  emaUpdate(averages: Float32Array[], params: Float32Array[], decay: number, complement: number): void;
  transpose(x: Float32Array, xShape: Int32Array, perm: Int32Array, out: Float32Array): void;
  resample2x(mode: number, x: Float32Array, y: Float32Array, n: number, h: number, w: number, c: number, scale: number): void;
  translate(x: Float32Array, y: Float32Array, n: number, h: number, w: number, c: number, shifts: Int32Array): void;
  cutout(x: Float32Array, y: Float32Array, n: number, h: number, w: number, c: number, boxes: Int32Array): void;
  setThreads(n: number): void;
  getThreads(): number;
  ompMaxThreads(): number;
  version(): string;
  clearCache(): void;
  /** The CPU tier the backend's own kernels run on, chosen when the addon loaded (GANTRY_CPU_ISA caps it). */
  cpuTier(): CpuTier;
}

/** The CPU tiers of the backend's own hand-vectorised kernels, best last. */
export const CPU_TIERS = ['generic', 'avx2', 'avx512'] as const;
export type CpuTier = (typeof CPU_TIERS)[number];

/** Environment variable that caps the CPU tier (and oneDNN's, unless ONEDNN_MAX_CPU_ISA is set). */
export const CPU_ISA_ENV = 'GANTRY_CPU_ISA';

/** Environment variable that overrides where the compiled addon is loaded from. */
export const ADDON_PATH_ENV = 'GANTRY_ONEDNN_ADDON';

const BUILD_HINT =
  'install oneDNN (Debian and Ubuntu: apt-get install libdnnl-dev), then build the addon ' +
  '(npm run build:native in the tfjs-backend-onednn package; with Gantry: npx gantry doctor --build-backend)';

/** What the install step recorded (scripts/install.mjs), when it ran and did not build the addon. */
export function installFailure(file = addonPath()): string | null {
  try {
    const status = JSON.parse(readFileSync(path.join(path.dirname(file), '..', 'install-status.json'), 'utf8')) as { built?: boolean; reason?: string };
    return status.built === false && typeof status.reason === 'string' ? status.reason : null;
  } catch {
    return null;
  }
}

/** `reason` says what is wrong; `hint` how to fix it, in general terms (Gantry gives the system's own command). */
type LoadResult = { ok: true; addon: OnednnAddon } | { ok: false; reason: string; hint: string };
let loaded: LoadResult | undefined;

export function addonPath(): string {
  const override = readSetting('GANTRY_ONEDNN_ADDON');
  if (override) return path.resolve(override);
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/src/addon.js -> <package>/build/Release/onednn.node
  return path.resolve(here, '..', '..', 'build', 'Release', 'onednn.node');
}

function describeLoadError(file: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/libdnnl/.test(message)) {
    return `the oneDNN shared library is missing (${message.split('\n')[0]})`;
  }
  if (/cannot find module|no such file|ENOENT/i.test(message)) {
    const failure = installFailure(file);
    if (failure) return `the native addon was not built when the package was installed: ${failure}`;
    return `the native addon is not built (${file} is missing; npm may have skipped install scripts)`;
  }
  return `the native addon at ${file} failed to load (${message.split('\n')[0]})`;
}

/** Loads the addon once; returns the result of that attempt. */
export function loadAddon(): LoadResult {
  if (loaded) return loaded;
  const file = addonPath();
  // libgomp reads its wait policy once, when it is loaded with the addon. Its
  // default spins waiting threads, which is ruinous when another process
  // holds the other core (2 threads measured 2-3x slower than 1). Only large
  // conv/GEMM calls run in parallel here, so sleeping waiters cost nothing
  // noticeable. A value the user set wins.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive';
  // The addon reads GANTRY_CPU_ISA and its other settings once, as it loads, and takes a value
  // it does not know as unset: they are checked here first, with the TypeScript side's.
  const bad = settingProblemAmong(backendSettingNames());
  if (bad !== null) {
    loaded = { ok: false, reason: bad.what, hint: bad.fix };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(file) as OnednnAddon;
    if (typeof addon.conv2dForward !== 'function') {
      loaded = { ok: false, reason: `${file} is not the tfjs-backend-onednn addon`, hint: BUILD_HINT };
    } else {
      addon.setThreads(threadsFromEnv());
      loaded = { ok: true, addon };
    }
  } catch (err) {
    loaded = { ok: false, reason: describeLoadError(file, err), hint: BUILD_HINT };
  }
  return loaded;
}

/** The loaded addon; only kernels call this, after registration succeeded. */
export function nativeAddon(): OnednnAddon {
  const r = loadAddon();
  if (!r.ok) throw new Error(`tfjs-backend-onednn: ${r.reason}; ${r.hint}`);
  return r.addon;
}

/** GANTRY_THREADS, else every core this process may use (environment.ts); throws SettingError for a bad value. */
export function threadsFromEnv(): number {
  return readSetting('GANTRY_THREADS');
}
