import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/**
 * Creates one named variable of a layer and registers it with the network (trainable, or
 * non-trainable state such as moving statistics). `key` is the variable's name inside its
 * layer, e.g. `kernel` or `conv1/kernel`; the network adds the layer's prefix.
 */
export type AddParam = (key: string, values: Float32Array, shape: number[], trainable: boolean) => tf.Variable;

/** Keras' default kernel initializer. */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number, size: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.fillUniform(new Float32Array(size), -limit, limit);
}

/** A k x k convolution kernel [k, k, inC, outC], Glorot-uniform with Keras' fans. */
export function convKernel(rng: Rng, k: number, inC: number, outC: number): Float32Array {
  return glorotUniform(rng, k * k * inC, k * k * outC, k * k * inC * outC);
}
