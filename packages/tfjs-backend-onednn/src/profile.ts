// Per-kernel wall time, switched on by GANTRY_ONEDNN_PROFILE=1 at registration.
// Off by default: the wrapper costs a closure call and two clock reads.
import type * as tf from '@tensorflow/tfjs';

import { readSetting } from './environment.js';

export interface KernelTiming {
  kernel: string;
  calls: number;
  ms: number;
}

const timings = new Map<string, KernelTiming>();

export function profilingEnabled(): boolean {
  return readSetting('GANTRY_ONEDNN_PROFILE') !== '0';
}

/** With GANTRY_ONEDNN_PROFILE=shapes, timings are kept per kernel and input shapes. */
function timingKey(name: string, inputs: tf.NamedTensorInfoMap): string {
  if (readSetting('GANTRY_ONEDNN_PROFILE') !== 'shapes') return name;
  const shapes = Object.values(inputs).map((t) => (t == null ? '-' : `[${t.shape.join('x')}]`));
  return `${name} ${shapes.join(' ')}`;
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
      const key = timingKey(config.kernelName, params.inputs);
      const t = timings.get(key);
      if (t) {
        t.calls += 1;
        t.ms += ms;
      } else {
        timings.set(key, { kernel: key, calls: 1, ms });
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
