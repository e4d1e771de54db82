// Shared pieces for kernel files: the native-or-fallback wrapper and
// broadcasting helpers.
import * as tf from '@tensorflow/tfjs';

import { nativeAddon, type OnednnAddon } from '../addon.js';
import { BACKEND_NAME, OnednnBackend } from '../backend.js';

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: OnednnBackend;
  attrs: tf.NamedAttrMap;
  addon: OnednnAddon;
}

/** What a native implementation returns; null hands the call to the cpu kernel. */
export type NativeResult = tf.TensorInfo | tf.TensorInfo[] | null;

/**
 * A kernel config for the onednn backend. `impl` returns null for inputs it
 * does not handle natively (other dtypes, unsupported attributes); those calls
 * run the inherited cpu kernel.
 */
export function nativeKernel(kernelName: string, impl: (args: KernelArgs) => NativeResult): tf.KernelConfig {
  return {
    kernelName,
    backendName: BACKEND_NAME,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const out = impl({ inputs, backend: backend as OnednnBackend, attrs: attrs ?? {}, addon: nativeAddon() });
      if (out !== null) return out;
      const cpu = tf.getKernel(kernelName, 'cpu');
      if (cpu === undefined) throw new Error(`onednn backend: ${kernelName} has no fallback for these inputs`);
      return cpu.kernelFunc({ inputs, backend, attrs });
    },
  };
}

/** A kernel that only exists on this backend (fused ops); no fallback. */
export function customKernel(kernelName: string, impl: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig {
  return {
    kernelName,
    backendName: BACKEND_NAME,
    kernelFunc: ({ inputs, backend, attrs }) =>
      impl({ inputs, backend: backend as OnednnBackend, attrs: attrs ?? {}, addon: nativeAddon() }),
  };
}

export function allFloat32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

/** Element strides of `shape` aligned to the right of `outShape`, 0 on broadcast axes. */
export function broadcastStrides(shape: number[], outShape: number[]): Int32Array {
  const strides = new Int32Array(outShape.length);
  let stride = 1;
  for (let i = outShape.length - 1, j = shape.length - 1; i >= 0; --i, --j) {
    const dim = j >= 0 ? shape[j]! : 1;
    strides[i] = dim === 1 ? 0 : stride;
    stride *= dim;
  }
  return strides;
}
