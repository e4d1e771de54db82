import * as tf from '@tensorflow/tfjs';

import { loadAddon, threadsFromEnv, type CpuTier } from './addon.js';
import { BACKEND_NAME, OnednnBackend } from './backend.js';
import { customGradientConfigs, nativeKernelConfigs } from './kernels/all_kernels.js';
import { withProfiling } from './profile.js';

// Below cpu (1): registering never changes which backend tfjs picks by itself;
// callers choose it with tf.setBackend('onednn').
const PRIORITY = 0;

let registered = false;

/**
 * Registers the 'onednn' backend: every cpu kernel under the onednn name, then
 * the native kernels over them. Idempotent. Returns false (and registers
 * nothing) when the native addon cannot load; onednnStatus() says why.
 */
export function registerOnednnBackend(): boolean {
  if (registered) return true;
  const load = loadAddon();
  if (!load.ok) return false;
  if (tf.findBackendFactory(BACKEND_NAME) == null) {
    tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(), PRIORITY);
  }
  const native = new Set(nativeKernelConfigs.map((k) => k.kernelName));
  const register = (config: tf.KernelConfig) => {
    if (tf.getKernel(config.kernelName, BACKEND_NAME) === undefined) {
      tf.registerKernel(withProfiling(config));
    }
  };
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (!native.has(config.kernelName)) register({ ...config, backendName: BACKEND_NAME });
  }
  nativeKernelConfigs.forEach(register);
  for (const grad of customGradientConfigs) {
    if (tf.getGradient(grad.kernelName) === undefined) tf.registerGradient(grad);
  }
  registered = true;
  return true;
}

export type OnednnStatus = { ok: true; threads: number } | { ok: false; reason: string; hint: string };

/** Whether the native addon loads, and its thread count; never throws. */
export function onednnStatus(): OnednnStatus {
  const load = loadAddon();
  return load.ok ? { ok: true, threads: load.addon.getThreads() } : { ok: false, reason: load.reason, hint: load.hint };
}

/**
 * The CPU tier the backend's own kernels run on ('avx512', 'avx2' or 'generic': the best this
 * CPU has, capped by GANTRY_CPU_ISA), or null when the addon does not load; never throws.
 */
export function onednnCpuTier(): CpuTier | null {
  const load = loadAddon();
  return load.ok ? load.addon.cpuTier() : null;
}

/** The version of the oneDNN library the addon runs on ('3.7.2'), or null when it does not load. */
export function onednnVersion(): string | null {
  const load = loadAddon();
  return load.ok ? load.addon.version() : null;
}

/**
 * Threads for large conv/GEMM calls (small ops always run on one). Default:
 * GANTRY_THREADS, else every core this process may use. Takes effect on the next kernel call.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be an integer >= 1, got ${n}`);
  const load = loadAddon();
  if (load.ok) load.addon.setThreads(n);
}

export { threadsFromEnv };
