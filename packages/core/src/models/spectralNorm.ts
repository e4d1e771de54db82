import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';
import type { AddParam } from './initializers.js';
import { nnOps, type NnOps } from './nnOps.js';

/**
 * Spectral normalization (Miyato et al. 2018): a kernel is used as W / sigma(W), where
 * sigma is W's largest singular value, estimated by power iteration with a persistent
 * vector u. W is the kernel reshaped to [-1, last axis] (dense [in, out], conv2d
 * [k*k*in, out], conv2dTranspose [k*k*out, in]), as Keras' SpectralNormalization does.
 *
 * One iteration runs on every forward pass; u is stored back only by a training forward
 * that updates statistics, so inference and the other forwards read it without changing it.
 * u and v are constants for the gradient (stop-gradient): it flows through W / (v W u^T).
 */

/** The matrix view of a kernel: [rows, columns]. */
export function spectralMatrixShape(kernelShape: number[]): [number, number] {
  const cols = kernelShape[kernelShape.length - 1];
  return [kernelShape.reduce((a, b) => a * b, 1) / cols, cols];
}

/** Adds the power-iteration vector u, [1, columns], as non-trainable state (checkpoints keep it). */
export function addSpectralVector(add: AddParam, key: string, kernelShape: number[], rng: Rng): tf.Variable {
  const n = spectralMatrixShape(kernelShape)[1];
  const u = rng.fillNormal(new Float32Array(n));
  const norm = Math.hypot(...u) || 1;
  for (let i = 0; i < n; i++) u[i] /= norm;
  return add(key, u, [1, n], false);
}

/** The identity whose gradient is zero: what it returns is a constant to the tape. */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x)), 1e-12)));
}

/**
 * One power-iteration step from u, then the normalized kernel.
 * Returns the kernel divided by sigma (same shape), sigma, and the next u [1, columns].
 */
export function spectralNormalize(kernel: tf.Tensor, u: tf.Tensor): { kernel: tf.Tensor; sigma: tf.Scalar; u: tf.Tensor2D } {
  const w = tf.reshape(kernel, spectralMatrixShape(kernel.shape)) as tf.Tensor2D; // [m, n]
  const wConst = stopGradient(w) as tf.Tensor2D;
  const v = l2Normalize(tf.matMul(u as tf.Tensor2D, wConst, false, true)) as tf.Tensor2D; // [1, m]
  const uNext = l2Normalize(tf.matMul(v, wConst)) as tf.Tensor2D; // [1, n]
  const sigma = tf.sum(tf.mul(tf.matMul(v, w), uNext)) as tf.Scalar; // v W u^T, differentiable in W only
  return { kernel: tf.div(kernel, sigma), sigma, u: uNext };
}

/**
 * The kernel a layer uses: as stored, or spectrally normalized with `u` (stored back when
 * `training` and `updateStats` are both set).
 */
export function effectiveKernel(
  kernel: tf.Variable,
  u: tf.Variable | undefined,
  opts: { training: boolean; updateStats?: boolean; ops?: NnOps },
): tf.Tensor {
  if (!u) return kernel;
  const sn = (opts.ops ?? nnOps()).spectralNormalize(kernel, u);
  if (opts.training && opts.updateStats) u.assign(sn.u);
  return sn.kernel;
}
