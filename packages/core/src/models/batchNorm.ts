import * as tf from '@tensorflow/tfjs';
import type { AddParam } from './initializers.js';
import * as keras from './kerasLayers.js';
import type { LayerDefinitions } from './layerDefinition.js';
import { nnOps, type ConvActivation, type NnOps } from './nnOps.js';
import * as onnx from './onnxLayers.js';

/** Batchnorm over every axis but the last (channels-last); `momentum` and `epsilon` default to Keras' values. */
export type BatchNormLayerSpec = { kind: 'batchNorm'; momentum?: number; epsilon?: number };

/** Keras' batchnorm defaults. */
export const defaultBatchNormMomentum = 0.99;
export const defaultBatchNormEpsilon = 1e-3;

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
}

/** gamma, beta (trainable) and the moving statistics (state), in this order, for `channels`. */
export function addBatchNormParams(add: AddParam, prefix: string, channels: number): BatchNormParams {
  const c = channels;
  return {
    gamma: add(`${prefix}gamma`, new Float32Array(c).fill(1), [c], true),
    beta: add(`${prefix}beta`, new Float32Array(c), [c], true),
    movingMean: add(`${prefix}movingMean`, new Float32Array(c), [c], false),
    movingVariance: add(`${prefix}movingVariance`, new Float32Array(c).fill(1), [c], false),
  };
}

/**
 * Batchnorm over every axis but the last, then the activation if one is given. Training uses
 * the batch's statistics and, when `updateStats` is set, moves the running averages towards
 * them; inference uses the running ones.
 */
export function applyBatchNorm(
  x: tf.Tensor,
  p: BatchNormParams,
  momentum: number,
  epsilon: number,
  opts: { training: boolean; updateStats?: boolean; ops?: NnOps },
  activation?: ConvActivation,
): tf.Tensor {
  const ops = opts.ops ?? nnOps();
  if (!opts.training) {
    const y = tf.batchNorm(x, p.movingMean, p.movingVariance, p.beta, p.gamma, epsilon);
    if (!activation) return y;
    return activation.kind === 'relu' ? ops.relu(y) : ops.leakyRelu(y, activation.alpha);
  }
  const { y, mean, variance } = ops.batchNormTraining(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, epsilon, activation);
  if (opts.updateStats) {
    const m = momentum;
    tf.tidy(() => {
      p.movingMean.assign(tf.add(tf.mul(p.movingMean, m), tf.mul(mean, 1 - m)));
      p.movingVariance.assign(tf.add(tf.mul(p.movingVariance, m), tf.mul(variance, 1 - m)));
    });
  }
  return y;
}

export const batchNormLayers: LayerDefinitions<BatchNormLayerSpec> = {
  batchNorm: {
    keys: { momentum: true, epsilon: true },
    outputShape: (_s, shape) => shape.slice(),
    params: (_s, shape, add) => {
      addBatchNormParams(add, '', shape[shape.length - 1]);
    },
    apply: (s, x, p, { opts, activation }) =>
      applyBatchNorm(x, p as unknown as BatchNormParams, s.momentum ?? defaultBatchNormMomentum, s.epsilon ?? defaultBatchNormEpsilon, opts, activation),
    takesActivation: () => true,
    couplesBatch: true,
    keras: { build: (s, ctx) => keras.batchNorm(ctx, ctx.x, '', ctx.name(), s.momentum ?? defaultBatchNormMomentum, s.epsilon ?? defaultBatchNormEpsilon) },
    onnx: { build: (s, ctx) => onnx.batchNorm(ctx, ctx.x, '', s.epsilon ?? defaultBatchNormEpsilon, ctx.name()) },
    example: { input: [3, 3, 4], spec: { kind: 'batchNorm', momentum: 0.9 } },
  },
};
