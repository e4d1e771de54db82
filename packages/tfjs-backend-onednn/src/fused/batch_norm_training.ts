import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { BatchNormTraining, BatchNormTrainingActivation } from '../kernels/custom_kernel_names.js';
import { activationReference } from './activations.js';
import { checkActivation, type ConvActivation } from './conv.js';

export interface BatchNormTrainingResult {
  /** Normalised, scaled and shifted x; same shape as x. */
  y: tf.Tensor;
  /** Batch mean per channel, shape [C]. */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, shape [C]. */
  variance: tf.Tensor1D;
}

function check(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): number {
  if (x.rank !== 2 && x.rank !== 4) {
    throw new Error(`batchNormTraining: x must have rank 2 or 4 (channels last), got shape [${x.shape}]`);
  }
  const c = x.shape[x.rank - 1]!;
  if (gamma.size !== c || beta.size !== c) {
    throw new Error(`batchNormTraining: gamma and beta must have ${c} elements (the channels of x)`);
  }
  return c;
}

/**
 * Batch normalisation with batch statistics over every axis but the last.
 * Plain tf ops; differentiable to any order.
 */
export function batchNormTrainingReference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor,
  epsilon = 1e-3, activation: ConvActivation = 'linear', alpha = 0.2): BatchNormTrainingResult {
  const c = check(x, gamma, beta);
  checkActivation(activation);
  return tf.tidy(() => {
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma.reshape([c]));
    const y = activationReference(tf.add(tf.mul(tf.sub(x, mean), scale), beta.reshape([c])), activation, alpha);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/**
 * Same as batchNormTrainingReference. On the onednn backend the forward pass
 * (with the activation, if any) is one native kernel and the gradient w.r.t. x, gamma and
 * beta (including what flows in through mean and variance, and back through the
 * activation) is one more.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor,
  epsilon = 1e-3, activation: ConvActivation = 'linear', alpha = 0.2): BatchNormTrainingResult {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') {
    return batchNormTrainingReference(x, gamma, beta, epsilon, activation, alpha);
  }
  check(x, gamma, beta);
  checkActivation(activation);
  const [y, mean, variance] = activation === 'linear'
    ? tf.engine().runKernel(BatchNormTraining, { x, gamma, beta }, { epsilon }) as tf.Tensor[]
    : tf.engine().runKernel(BatchNormTrainingActivation, { x, gamma, beta }, { epsilon, activation, alpha: activation === 'relu' ? 0 : alpha }) as tf.Tensor[];
  return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
