import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

/** A float32 unary kernel; `alphaAttr` names the attribute passed as alpha. */
export function unaryKernel(kernelName: string, op: number, alphaAttr?: string): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend, attrs, addon }) => {
    const x = inputs.x!;
    if (x.dtype !== 'float32') return null;
    const out = backend.output(x.shape);
    const alpha = alphaAttr === undefined ? 0 : (attrs[alphaAttr] as number);
    addon.unary(op, backend.f32(x), out.values, alpha);
    return out.info;
  });
}
