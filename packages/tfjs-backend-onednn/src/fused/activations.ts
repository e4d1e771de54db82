import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { LeakyReluGrad } from '../kernels/custom_kernel_names.js';

/** relu(x) - alpha * relu(-x): differentiable to any order on any backend. */
export function leakyReluReference<T extends tf.Tensor>(x: T, alpha = 0.2): T {
  return tf.tidy(() => tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x))))) as T;
}

export function reluReference<T extends tf.Tensor>(x: T): T {
  return tf.relu(x);
}

/** The reference form of a fused op's activation ('linear' returns y itself). */
export function activationReference<T extends tf.Tensor>(y: T, activation: 'linear' | 'relu' | 'leakyrelu', alpha: number): T {
  if (activation === 'relu') return reluReference(y);
  if (activation === 'leakyrelu') return leakyReluReference(y, alpha);
  return y;
}

// One custom-gradient function per alpha value.
const activations = new Map<number, (x: tf.Tensor) => tf.Tensor>();

function nativeActivation(alpha: number): (x: tf.Tensor) => tf.Tensor {
  let f = activations.get(alpha);
  if (!f) {
    f = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
      const input = x as tf.Tensor;
      (save as tf.GradSaveFunc)([input]);
      const value = alpha === 0 ? tf.relu(input) : tf.leakyRelu(input, alpha);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.engine().runKernel(LeakyReluGrad, { dy, x: saved[0]! }, { alpha }) as tf.Tensor,
      };
    }) as (x: tf.Tensor) => tf.Tensor;
    activations.set(alpha, f);
  }
  return f;
}

/**
 * Leaky ReLU whose gradient is one native pass on the onednn backend (and
 * whose gradient is itself differentiable); the reference elsewhere.
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha = 0.2): T {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return leakyReluReference(x, alpha);
  return nativeActivation(alpha)(x) as T;
}

/** ReLU whose gradient is one native pass on the onednn backend. */
export function relu<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return reluReference(x);
  return nativeActivation(0)(x) as T;
}
