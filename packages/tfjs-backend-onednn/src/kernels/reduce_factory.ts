import * as tf from '@tensorflow/tfjs';

import { nativeKernel } from './kernel_utils.js';

export const ReduceOp = { Sum: 0, Max: 1, Min: 2, Prod: 3 } as const;

/**
 * A reduction kernel over any set of axes. The axes are grouped into runs of
 * adjacent axes; each run is one [outer, reduced, inner] pass in C++, last run
 * first, so the earlier axes keep their positions.
 */
export function reduceKernel(kernelName: string, op: number, axisAttr: string, mean = false): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend, attrs, addon }) => {
    const x = inputs.x!;
    if (x.dtype !== 'float32') return null;
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    const sorted = [...new Set(axes)].sort((p, q) => p - q);
    if (sorted.length === 0 || x.shape.some((d) => d === 0)) return null;
    const runs: [number, number][] = [];
    for (const ax of sorted) {
      const last = runs[runs.length - 1];
      if (last && last[1] === ax - 1) last[1] = ax;
      else runs.push([ax, ax]);
    }
    const shape = [...x.shape];
    let count = 1;
    for (const ax of sorted) count *= shape[ax]!;
    let values = backend.f32(x);
    for (let r = runs.length - 1; r >= 0; --r) {
      const [start, end] = runs[r]!;
      const outer = tf.util.sizeFromShape(shape.slice(0, start));
      const reduced = tf.util.sizeFromShape(shape.slice(start, end + 1));
      const inner = tf.util.sizeFromShape(shape.slice(end + 1));
      const next = new Float32Array(outer * inner);
      addon.reduce(op, values, next, outer, reduced, inner, mean && r === 0 ? 1 / count : 1);
      for (let ax = start; ax <= end; ++ax) shape[ax] = 1;
      values = next;
    }
    const outShape = attrs.keepDims ? shape : x.shape.filter((_, i) => !sorted.includes(i));
    return backend.makeTensorInfo(outShape, 'float32', values);
  });
}
