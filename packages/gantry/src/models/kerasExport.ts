import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { defaultBatchNormEpsilon, defaultBatchNormMomentum } from './batchNorm.js';
import { layerOutputShape, type LayerSpec, type Network } from './network.js';
import { effectiveKernel } from './spectralNorm.js';

/**
 * Gantry's layer specs as Keras layers (TF.js' `tf.layers`), for a generator in inference mode:
 * batchnorm with its running statistics, spectral norm folded into the kernel (W / sigma from the
 * stored u, exactly as Gantry's inference forward computes it), conditioning as a second input of
 * integer class labels. TF.js serialises the result as a LayersModel (model.json + weights) that
 * stock `tf.loadLayersModel` reads.
 *
 * One entry per layer kind, in a table whose type lists every kind: a new kind without an entry
 * does not compile. A kind that has no Keras form says why, and export stops naming it.
 */

type Kind = LayerSpec['kind'];
type SpecOf<K extends Kind> = Extract<LayerSpec, { kind: K }>;

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

export type KerasLayerEntry<S> = { build: (spec: S, ctx: KerasLayerContext) => tf.SymbolicTensor } | { unsupported: string };

const zeros = 'zeros';

function activation(name: 'relu' | 'sigmoid' | 'tanh'): KerasLayerEntry<{ kind: string }> {
  return { build: (_s, ctx) => ctx.apply(tf.layers.activation({ activation: name, name: ctx.name() }), ctx.x) };
}

/** Batchnorm from parameters `${prefix}gamma`, ... (Keras' weight order: gamma, beta, moving mean, moving variance). */
function batchNorm(ctx: KerasLayerContext, x: tf.SymbolicTensor, prefix: string, name: string, momentum?: number, epsilon?: number): tf.SymbolicTensor {
  const layer = tf.layers.batchNormalization({
    axis: -1,
    momentum: momentum ?? defaultBatchNormMomentum,
    epsilon: epsilon ?? defaultBatchNormEpsilon,
    name,
  });
  return ctx.apply(layer, x, ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => ctx.param(`${prefix}${k}`)));
}

/** A 'same' convolution with bias from parameters `${prefix}kernel`, `${prefix}bias` (spectral norm folded). */
function sameConv(ctx: KerasLayerContext, x: tf.SymbolicTensor, prefix: string, kernel: number, filters: number, name: string): tf.SymbolicTensor {
  const layer = tf.layers.conv2d({ filters, kernelSize: kernel, strides: 1, padding: 'same', useBias: true, kernelInitializer: zeros, name });
  return ctx.apply(layer, x, [ctx.kernel(`${prefix}kernel`, `${prefix}sn_u`), ctx.param(`${prefix}bias`)]);
}

function upsample2x(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name }), x);
}

function avgPool2x(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name }), x);
}

function relu(ctx: KerasLayerContext, x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return ctx.apply(tf.layers.activation({ activation: 'relu', name }), x);
}

export const kerasLayerTable: { [K in Kind]: KerasLayerEntry<SpecOf<K>> } = {
  dense: {
    build: (s, ctx) => {
      const useBias = s.bias !== false;
      const layer = tf.layers.dense({ units: s.units, useBias, kernelInitializer: zeros, name: ctx.name() });
      return ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
    },
  },
  conv2d: {
    build: (s, ctx) => {
      const useBias = s.bias !== false;
      const layer = tf.layers.conv2d({ filters: s.filters, kernelSize: s.kernel, strides: s.stride, padding: s.padding, useBias, kernelInitializer: zeros, name: ctx.name() });
      return ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
    },
  },
  conv2dTranspose: {
    build: (s, ctx) => {
      const useBias = s.bias !== false;
      const layer = tf.layers.conv2dTranspose({ filters: s.filters, kernelSize: s.kernel, strides: s.stride, padding: s.padding, useBias, kernelInitializer: zeros, name: ctx.name() });
      const y = ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
      // Keras makes a 'valid' transposed conv with kernel < stride (size * stride) long; Gantry
      // ((size - 1) * stride + kernel). The extra rows and columns at the end get no input: crop them.
      const extra = s.padding === 'valid' ? Math.max(s.stride - s.kernel, 0) : 0;
      if (extra === 0) return y;
      return ctx.apply(tf.layers.cropping2D({ cropping: [[0, extra], [0, extra]], name: ctx.name('crop') }), y);
    },
  },
  batchNorm: { build: (s, ctx) => batchNorm(ctx, ctx.x, '', ctx.name(), s.momentum, s.epsilon) },
  relu: activation('relu'),
  leakyRelu: { build: (s, ctx) => ctx.apply(tf.layers.leakyReLU({ alpha: s.alpha, name: ctx.name() }), ctx.x) },
  sigmoid: activation('sigmoid'),
  tanh: activation('tanh'),
  reshape: { build: (s, ctx) => ctx.apply(tf.layers.reshape({ targetShape: s.shape, name: ctx.name() }), ctx.x) },
  flatten: { build: (_s, ctx) => ctx.apply(tf.layers.flatten({ name: ctx.name() }), ctx.x) },
  labelConcat: {
    build: (s, ctx) => {
      if (!ctx.labels) throw new Error('labelConcat needs the labels input');
      // A one-hot code is an embedding whose table is the identity: one layer kind for both forms.
      const width = s.embedding ?? s.classes;
      const table = s.embedding !== undefined ? ctx.param('embedding') : tf.eye(s.classes);
      const embedded = ctx.apply(tf.layers.embedding({ inputDim: s.classes, outputDim: width, inputLength: 1, embeddingsInitializer: zeros, name: ctx.name('embedding') }), ctx.labels, [table]);
      let code = ctx.apply(tf.layers.flatten({ name: ctx.name('code') }), embedded); // [batch, width]
      if (ctx.inShape.length === 3) {
        const [h, w] = ctx.inShape;
        code = ctx.apply(tf.layers.reshape({ targetShape: [1, 1, width], name: ctx.name('pixel') }), code);
        // nearest upsampling of a 1x1 image repeats the code at every pixel
        code = ctx.apply(tf.layers.upSampling2d({ size: [h, w], interpolation: 'nearest', name: ctx.name('planes') }), code);
      }
      return ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name() }), [ctx.x, code]);
    },
  },
  projection: { unsupported: "it is a discriminator's head (it scores an image against a label); a generator cannot end in it" },
  auxClassifier: { unsupported: "it is a discriminator's head (ACGAN's class logits); a generator cannot end in it" },
  resBlockUp: {
    build: (s, ctx) => {
      let h = relu(ctx, batchNorm(ctx, ctx.x, 'bn1/', ctx.name('bn1'), s.momentum, s.epsilon), ctx.name('relu1'));
      h = upsample2x(ctx, h, ctx.name('up'));
      h = sameConv(ctx, h, 'conv1/', 3, s.filters, ctx.name('conv1'));
      h = relu(ctx, batchNorm(ctx, h, 'bn2/', ctx.name('bn2'), s.momentum, s.epsilon), ctx.name('relu2'));
      h = sameConv(ctx, h, 'conv2/', 3, s.filters, ctx.name('conv2'));
      // the order Gantry computes it in: 1x1 conv, then upsample
      const shortcut = upsample2x(ctx, sameConv(ctx, ctx.x, 'shortcut/', 1, s.filters, ctx.name('shortcut')), ctx.name('shortcut_up'));
      return ctx.apply(tf.layers.add({ name: ctx.name() }), [h, shortcut]);
    },
  },
  resBlockDown: {
    build: (s, ctx) => {
      let h = s.preactivation === false ? ctx.x : relu(ctx, ctx.x, ctx.name('relu0'));
      h = relu(ctx, sameConv(ctx, h, 'conv1/', 3, s.filters, ctx.name('conv1')), ctx.name('relu1'));
      h = avgPool2x(ctx, sameConv(ctx, h, 'conv2/', 3, s.filters, ctx.name('conv2')), ctx.name('pool'));
      const shortcut = sameConv(ctx, avgPool2x(ctx, ctx.x, ctx.name('shortcut_pool')), 'shortcut/', 1, s.filters, ctx.name('shortcut'));
      return ctx.apply(tf.layers.add({ name: ctx.name() }), [h, shortcut]);
    },
  },
  upsample: { build: (_s, ctx) => upsample2x(ctx, ctx.x, ctx.name()) },
  avgPool: { build: (_s, ctx) => avgPool2x(ctx, ctx.x, ctx.name()) },
  globalSumPool: {
    build: (_s, ctx) => {
      // Keras has no sum pooling: a depthwise convolution over the whole image with a kernel of ones is one.
      const [h, w, c] = ctx.inShape;
      const layer = tf.layers.depthwiseConv2d({ kernelSize: [h, w], depthMultiplier: 1, padding: 'valid', useBias: false, depthwiseInitializer: zeros, name: ctx.name('sum') });
      const summed = ctx.apply(layer, ctx.x, [tf.ones([h, w, c, 1])]);
      return ctx.apply(tf.layers.flatten({ name: ctx.name() }), summed);
    },
  },
};

/** Raised for a network that has no Keras form; the CLI reports it as bad input. */
export class NotExportableError extends UsageError {}

/** Every layer of `spec` that cannot be exported, as `layer i (kind): why`. */
export function unexportableLayers(layers: readonly LayerSpec[]): string[] {
  return layers.flatMap((l, i) => {
    const entry = kerasLayerTable[l.kind] as KerasLayerEntry<LayerSpec>;
    return 'unsupported' in entry ? [`layer ${i} (${l.kind}): ${entry.unsupported}`] : [];
  });
}

/**
 * The generator `net` (its current variables) as a Keras functional model with inputs `z`
 * (float32 [batch, latent]) and, for a conditional network, `labels` (int32 [batch, 1]); its
 * output is G's image, NHWC, in G's own pixel range. Dispose the model when done.
 */
export function kerasGenerator(net: Network): tf.LayersModel {
  const blocked = unexportableLayers(net.spec.layers);
  if (blocked.length > 0) throw new NotExportableError(`${net.name} cannot be exported as a TF.js LayersModel: ${blocked.join('; ')}`);
  const values = new Map(net.allVariables().map((v) => [v.name, v.variable]));
  const z = tf.input({ shape: net.spec.input, dtype: 'float32', name: 'z' });
  const labels = net.conditional ? tf.input({ shape: [1], dtype: 'int32', name: 'labels' }) : null;
  const made: tf.Tensor[] = [];
  try {
    let x = z;
    let shape = net.spec.input.slice();
    net.spec.layers.forEach((spec, i) => {
      const outShape = layerOutputShape(spec, shape);
      const prefix = `${net.name}/${i}_${spec.kind}/`;
      const variable = (key: string) => {
        const v = values.get(prefix + key);
        if (!v) throw new Error(`${net.name} has no parameter ${prefix + key}`);
        return v;
      };
      const ctx: KerasLayerContext = {
        x,
        inShape: shape,
        outShape,
        labels,
        name: (suffix) => `g${i}_${spec.kind}${suffix ? `_${suffix}` : ''}`,
        param: (key) => variable(key),
        kernel: (key, snKey) => {
          const u = values.get(prefix + snKey);
          if (!u) return variable(key);
          const folded = tf.tidy(() => effectiveKernel(variable(key), u, { training: false }));
          made.push(folded);
          return folded;
        },
        apply: (layer, inputs, weights) => {
          const y = layer.apply(inputs) as tf.SymbolicTensor;
          if (weights) {
            layer.setWeights(weights);
            made.push(...weights.filter((w) => !(w instanceof tf.Variable) && !made.includes(w)));
          }
          return y;
        },
      };
      const entry = kerasLayerTable[spec.kind] as { build: (s: LayerSpec, c: KerasLayerContext) => tf.SymbolicTensor };
      x = entry.build(spec, ctx);
      const got = x.shape.slice(1);
      if (got.join(',') !== outShape.join(',')) {
        throw new Error(`export of ${net.name} layer ${i} (${spec.kind}) makes [${got.join(', ')}], Gantry [${outShape.join(', ')}]`);
      }
      shape = outShape;
    });
    return tf.model({ inputs: labels ? [z, labels] : [z], outputs: x, name: 'generator' });
  } finally {
    tf.dispose(made);
  }
}
