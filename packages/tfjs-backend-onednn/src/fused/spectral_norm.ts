import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { SpectralNorm } from '../kernels/custom_kernel_names.js';

export interface SpectralNormResult {
  /** w / sigma, the shape of w. */
  w: tf.Tensor;
  /** The estimate of w's largest singular value, after one power iteration. */
  sigma: tf.Scalar;
  /** The next power-iteration vector, [1, columns]. */
  u: tf.Tensor2D;
}

/** The identity, with a zero gradient. */
const constant = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

function matrixOf(w: tf.Tensor, u: tf.Tensor): [number, number] {
  const n = w.shape[w.rank - 1]!;
  if (w.rank < 2 || u.size !== n) {
    throw new Error(`spectralNorm: w must have rank 2 or more and u as many elements as w's last axis (${n}), got w [${w.shape}] and u [${u.shape}]`);
  }
  return [w.size / n, n];
}

/**
 * Spectral normalisation in plain ops: w seen as a matrix [-1, last axis], one power
 * iteration from u (u and the vectors it gives are constants to the gradient).
 * Differentiable to any order.
 */
export function spectralNormReference(w: tf.Tensor, u: tf.Tensor): SpectralNormResult {
  const [m, n] = matrixOf(w, u);
  return tf.tidy(() => {
    const mat = tf.reshape(w, [m, n]) as tf.Tensor2D;
    const fixed = constant(mat) as tf.Tensor2D;
    const unit = (x: tf.Tensor) => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x)), 1e-12))) as tf.Tensor2D;
    const v = unit(tf.matMul(tf.reshape(u, [1, n]) as tf.Tensor2D, fixed, false, true));
    const next = unit(tf.matMul(v, fixed));
    const sigma = tf.sum(tf.mul(tf.matMul(v, mat), next)) as tf.Scalar;
    return { w: tf.div(w, sigma), sigma, u: next };
  });
}

/** Same as spectralNormReference; on onednn one kernel forward and one backward. */
export function spectralNorm(w: tf.Tensor, u: tf.Tensor): SpectralNormResult {
  if (tf.getBackend() !== BACKEND_NAME || w.dtype !== 'float32') return spectralNormReference(w, u);
  const [m, n] = matrixOf(w, u);
  return tf.tidy(() => {
    const [wn, next, sigma] = tf.engine().runKernel(SpectralNorm, { w: tf.reshape(w, [m, n]), u: tf.reshape(u, [1, n]) }) as tf.Tensor[];
    return { w: tf.reshape(wn!, w.shape), sigma: sigma as tf.Scalar, u: next as tf.Tensor2D };
  });
}
