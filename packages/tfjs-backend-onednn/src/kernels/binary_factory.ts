import * as tf from '@tensorflow/tfjs';

import { type KernelArgs, broadcastStrides, nativeKernel } from './kernel_utils.js';
import { isComparison } from './eltwise_ops.js';

/** Runs binary op `op` with broadcasting; returns null for non-float32 inputs. */
export function runBinary(args: KernelArgs, op: number, a: tf.TensorInfo, b: tf.TensorInfo,
  alpha = 0): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const { backend, addon } = args;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const shape = Int32Array.from(outShape);
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  if (isComparison(op)) {
    const out = backend.boolOutput(outShape);
    addon.binary(op, backend.f32(a), backend.f32(b), out.values, shape, sa, sb, alpha);
    return out.info;
  }
  const out = backend.output(outShape);
  addon.binary(op, backend.f32(a), backend.f32(b), out.values, shape, sa, sb, alpha);
  return out.info;
}

/** A binary kernel with inputs named `aName`, `bName` (default a, b). */
export function binaryKernel(kernelName: string, op: number, aName = 'a', bName = 'b',
  alphaAttr?: string): tf.KernelConfig {
  return nativeKernel(kernelName, (args) =>
    runBinary(args, op, args.inputs[aName]!, args.inputs[bName]!,
      alphaAttr === undefined ? 0 : (args.attrs[alphaAttr] as number)));
}
