import * as tf from '@tensorflow/tfjs';

import type { KernelArgs } from './kernel_utils.js';

/**
 * Runs a (batched) matmul natively. Batch dimensions must be equal or one side
 * must have a single batch; anything else returns null (cpu fallback).
 */
export function runMatmul({ backend, addon }: KernelArgs, a: tf.TensorInfo, b: tf.TensorInfo,
  transposeA: boolean, transposeB: boolean, bias: Float32Array | null, activation: number,
  alpha: number): tf.TensorInfo | null {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null;
  const batchShapeA = a.shape.slice(0, -2), batchShapeB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(batchShapeA), batchB = tf.util.sizeFromShape(batchShapeB);
  if (batchA !== 1 && batchB !== 1 && !tf.util.arraysEqual(batchShapeA, batchShapeB)) return null;
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  if (m * n * k === 0) return null;
  const out = backend.output([...batchShape, m, n]);
  addon.matmul(backend.f32(a), backend.f32(b), out.values,
    Int32Array.from([batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0]),
    bias, activation, alpha);
  return out.info;
}
