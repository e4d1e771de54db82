// Per-kernel wall time, switched on by GANTRY_ONEDNN_PROFILE=1 at registration.
// Off by default: the wrapper costs a closure call and two clock reads.
import type * as tf from '@tensorflow/tfjs';

export const PROFILE_ENV = 'GANTRY_ONEDNN_PROFILE';

export interface KernelTiming {
  kernel: string;
  calls: number;
  ms: number;
}

const timings = new Map<string, KernelTiming>();

export function profilingEnabled(): boolean {
  return process.env[PROFILE_ENV] === '1';
}

/** Wraps a kernel config with a timer when profiling is on. */
export function withProfiling(config: tf.KernelConfig): tf.KernelConfig {
  if (!profilingEnabled()) return config;
  const inner = config.kernelFunc;
  return {
    ...config,
    kernelFunc: (params) => {
      const start = performance.now();
      const out = inner(params);
      const ms = performance.now() - start;
      const t = timings.get(config.kernelName);
      if (t) {
        t.calls += 1;
        t.ms += ms;
      } else {
        timings.set(config.kernelName, { kernel: config.kernelName, calls: 1, ms });
      }
      return out;
    },
  };
}

/** Accumulated timings, slowest first (empty unless profiling is on). */
export function kernelProfile(): KernelTiming[] {
  return [...timings.values()].map((t) => ({ ...t })).sort((a, b) => b.ms - a.ms);
}

export function resetKernelProfile(): void {
  timings.clear();
}
