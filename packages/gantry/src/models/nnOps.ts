import * as tf from '@tensorflow/tfjs';

/**
 * The few layer operations that have a fast fused form on the native backend. The
 * reference forms below are plain TF.js ops; they run on every backend and support
 * gradients of gradients. A backend may install faster ones with the same signatures.
 */
export interface NnOps {
  readonly name: string;
  /** Batch statistics over every axis but the last (channels-last), biased variance. */
  batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
  relu(x: tf.Tensor): tf.Tensor;
  leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor;
}

export const referenceNnOps: NnOps = {
  name: 'reference',
  batchNormTraining(x, gamma, beta, epsilon) {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
    return { y, mean, variance };
  },
  relu: (x) => tf.relu(x),
  // relu(x) - a*relu(-x) rather than tf.leakyRelu: its gradient is differentiable again
  leakyRelu: (x, alpha) => tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x)))),
};

let active: NnOps = referenceNnOps;

export function nnOps(): NnOps {
  return active;
}

/** Install the ops the models use; returns the previous set. */
export function setNnOps(ops: NnOps): NnOps {
  const previous = active;
  active = ops;
  return previous;
}
