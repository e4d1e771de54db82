import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/**
 * Creates one named variable of a layer and registers it with the network (trainable, or
 * non-trainable state such as moving statistics). `key` is the variable's name inside its
 * layer, e.g. `kernel` or `conv1/kernel`; the network adds the layer's prefix.
 */
export type AddParam = (key: string, values: Float32Array, shape: number[], trainable: boolean) => tf.Variable;

/**
 * How a network draws its kernels (and the embeddings of its conditioning heads):
 * `glorot-uniform`, Keras' default and Gantry's, or `normal`, N(0, std) whatever the fans, as
 * the DCGAN paper (std 0.02) and PyTorch's DCGAN example start.
 */
export type WeightInit = { kind: 'glorot-uniform' } | { kind: 'normal'; std: number };

export const glorotInit: WeightInit = { kind: 'glorot-uniform' };

/** Keras' default kernel initializer. */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number, size: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.fillUniform(new Float32Array(size), -limit, limit);
}

/**
 * A network's initial weights: one seeded stream, drawn in declaration order, and its kernel
 * initializer. The same seed and initializer give the same weights.
 */
export class WeightDraws {
  constructor(private readonly rng: Rng, readonly init: WeightInit = glorotInit) {}

  /** `size` kernel values for a layer with these fans, by the network's initializer. */
  kernel(fanIn: number, fanOut: number, size: number): Float32Array {
    if (this.init.kind === 'normal') return this.rng.fillNormal(new Float32Array(size), 0, this.init.std);
    return glorotUniform(this.rng, fanIn, fanOut, size);
  }

  /** A k x k convolution kernel [k, k, inC, outC], with Keras' fans. */
  convKernel(k: number, inC: number, outC: number): Float32Array {
    return this.kernel(k * k * inC, k * k * outC, k * k * inC * outC);
  }

  /** `size` values uniform in [lo, hi), whatever the initializer (Keras' Embedding start). */
  uniform(size: number, lo: number, hi: number): Float32Array {
    return this.rng.fillUniform(new Float32Array(size), lo, hi);
  }
}
