import * as tf from '@tensorflow/tfjs';

/**
 * The Keras (TF.js `tf.layers`) side of a layer definition: what an entry sees of the layer it
 * translates, and the building blocks several entries share. kerasExport.ts walks a network and
 * calls each layer's entry; the entries live with their kinds (layerRegistry.ts lists them).
 */

/** What an entry sees of the layer it translates. */
export interface KerasLayerContext {
  /** The incoming tensor, [batch, ...inShape]. */
  x: tf.SymbolicTensor;
  inShape: number[];
  outShape: number[];
  /** The labels input, int32 [batch, 1], or null for an unconditional network. */
  labels: tf.SymbolicTensor | null;
  /** A unique layer name with `suffix`, e.g. `g3_batchNorm_bn1`. */
  name(suffix?: string): string;
  /** The stored value of parameter `key` (a copy the caller need not dispose). */
  param(key: string): tf.Tensor;
  /** The kernel `key` as the inference forward uses it: divided by sigma when it has a `<key>/sn_u`-style vector. */
  kernel(key: string, snKey: string): tf.Tensor;
  /** Apply `layer` to `inputs` and give it `weights` (in Keras' order). */
  apply(layer: tf.layers.Layer, inputs: tf.SymbolicTensor | tf.SymbolicTensor[], weights?: tf.Tensor[]): tf.SymbolicTensor;
}

/** A layer's Keras form, or, for a kind that has none, why (export then names the layer and stops). */
export type KerasLayerEntry<S> = { build: (spec: S, ctx: KerasLayerContext) => tf.SymbolicTensor } | { unsupported: string };

/** Keras layers get their weights from `setWeights`; this initializer only avoids drawing random ones first. */
export const zeros = 'zeros';

/** An entry for a layer that is one Keras activation. */
export function activation(name: 'relu' | 'sigmoid' | 'tanh'): KerasLayerEntry<{ kind: string }> {
  return { build: (_s, ctx) => ctx.apply(tf.layers.activation({ activation: name, name: ctx.name() }), ctx.x) };
}

/** Batchnorm from parameters `${prefix}gamma`, ... (Keras' weight order: gamma, beta, moving mean, moving variance). */
export function batchNorm(ctx: KerasLayerContext, x: tf.SymbolicTensor, prefix: string, name: string, momentum: number, epsilon: number): tf.SymbolicTensor {
  const layer = tf.layers.batchNormalization({ axis: -1, momentum, epsilon, name });
  return ctx.apply(layer, x, ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => ctx.param(`${prefix}${k}`)));
}

/** A 'same' convolution with bias from parameters `${prefix}kernel`, `${prefix}bias` (spectral norm folded). */
export function sameConv(ctx: KerasLayerContext, x: tf.SymbolicTensor, prefix: string, kernel: number, filters: number, name: string): tf.SymbolicTensor {
  const layer = tf.layers.conv2d({ filters, kernelSize: kernel, strides: 1, padding: 'same', useBias: true, kernelInitializer: zeros, name });
  return ctx.apply(layer, x, [ctx.kernel(`${prefix}kernel`, `${prefix}sn_u`), ctx.param(`${prefix}bias`)]);
}

export function upsample2x(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name }), x);
}

export function avgPool2x(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name }), x);
}

export function relu(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.activation({ activation: 'relu', name }), x);
}
