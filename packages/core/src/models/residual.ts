import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';
import { addBatchNormParams, applyBatchNorm, defaultBatchNormEpsilon, defaultBatchNormMomentum, type BatchNormParams } from './batchNorm.js';
import type { AddParam, WeightDraws } from './initializers.js';
import * as keras from './kerasLayers.js';
import type { ApplyOptions, LayerDefinitions, LayerParams } from './layerDefinition.js';
import { nnOps, type ConvActivation } from './nnOps.js';
import * as onnx from './onnxLayers.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * Residual blocks for 32x32 images and up (the SNGAN / BigGAN family), and the resampling
 * layers they use. Every convolution is 'same' with a bias; shortcuts are learned 1x1 convolutions.
 *
 * - resBlockUp (G): BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, plus upsample-conv1x1;
 *   [h, w, c] -> [2h, 2w, filters].
 * - resBlockDown (D): ReLU-conv3x3-ReLU-conv3x3-avgPool, plus conv1x1-avgPool;
 *   [h, w, c] -> [h/2, w/2, filters]. `preactivation: false` drops the first ReLU (D's first block,
 *   which sees the image itself).
 * - upsample: nearest neighbour x2; avgPool: 2x2 average, stride 2; globalSumPool: sum over h and w.
 *
 * Variables, in order. resBlockUp: `bn1/{gamma,beta,movingMean,movingVariance}`,
 * `conv1/{kernel,bias}`, `bn2/...`, `conv2/{kernel,bias}`, `shortcut/{kernel,bias}`.
 * resBlockDown: `conv1/...`, `conv2/...`, `shortcut/...`. With spectralNorm, `<conv>/sn_u` for each conv.
 */
export type ResidualLayerSpec =
  | { kind: 'resBlockUp'; filters: number; momentum?: number; epsilon?: number; spectralNorm?: boolean }
  | { kind: 'resBlockDown'; filters: number; preactivation?: boolean; spectralNorm?: boolean }
  | { kind: 'upsample' }
  | { kind: 'avgPool' }
  | { kind: 'globalSumPool' };

/** The image [h, w, c] a layer of `kind` needs per example. */
function image(kind: string, shape: number[]): [number, number, number] {
  if (shape.length !== 3) {
    throw new Error(`layer ${kind} needs an image [height, width, channels] per example, got [${shape.join(', ')}]`);
  }
  return shape as [number, number, number];
}

/** Half the height and width of an image whose both are even. */
function halved(kind: string, shape: number[]): [number, number] {
  const [h, w] = image(kind, shape);
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`layer ${kind} halves height and width, which must be even, got [${shape.join(', ')}]`);
  return [h / 2, w / 2];
}

/** A 'same' convolution with a bias: `${name}/kernel` [k, k, cin, filters] and `${name}/bias`. */
function addConv(add: AddParam, draws: WeightDraws, name: string, k: number, cin: number, filters: number): void {
  add(`${name}/kernel`, draws.convKernel(k, cin, filters), [k, k, cin, filters], true);
  add(`${name}/bias`, new Float32Array(filters), [filters], true);
}

/** Spectral norm's vectors for a block's three convolutions, after all of its weights. */
function addBlockSpectralVectors(add: AddParam, snRng: Rng, inC: number, f: number): void {
  addSpectralVector(add, 'conv1/sn_u', [3, 3, inC, f], snRng);
  addSpectralVector(add, 'conv2/sn_u', [3, 3, f, f], snRng);
  addSpectralVector(add, 'shortcut/sn_u', [1, 1, inC, f], snRng);
}

/** The block's convolutions and activations on the installed ops, with spectral norm applied to each kernel. */
function blockOps(p: LayerParams, opts: ApplyOptions) {
  const ops = opts.ops ?? nnOps();
  const kernel = (name: string) => effectiveKernel(p[`${name}/kernel`], p[`${name}/sn_u`], opts) as tf.Tensor4D;
  const conv = (name: string, h: tf.Tensor4D, activation?: ConvActivation) =>
    ops.conv2dBias(h, kernel(name), p[`${name}/bias`], 1, 'same', activation);
  return { ops, kernel, conv };
}

export const residualLayers: LayerDefinitions<ResidualLayerSpec> = {
  resBlockUp: {
    keys: { filters: true, momentum: true, epsilon: true, spectralNorm: true },
    outputShape: (s, shape) => {
      const [h, w] = image(s.kind, shape);
      return [2 * h, 2 * w, s.filters];
    },
    params: (s, shape, add, draws, snRng) => {
      const inC = shape[2];
      const f = s.filters;
      addBatchNormParams(add, 'bn1/', inC);
      addConv(add, draws, 'conv1', 3, inC, f);
      addBatchNormParams(add, 'bn2/', f);
      addConv(add, draws, 'conv2', 3, f, f);
      addConv(add, draws, 'shortcut', 1, inC, f);
      if (s.spectralNorm) addBlockSpectralVectors(add, snRng, inC, f);
    },
    apply: (s, x, p, { opts }) => {
      const x4 = x as tf.Tensor4D;
      const { ops, kernel, conv } = blockOps(p, opts);
      // batchnorm, then relu, as one op
      const bnRelu = (name: string, h: tf.Tensor4D) => {
        const params: BatchNormParams = {
          gamma: p[`${name}/gamma`],
          beta: p[`${name}/beta`],
          movingMean: p[`${name}/movingMean`],
          movingVariance: p[`${name}/movingVariance`],
        };
        return applyBatchNorm(h, params, s.momentum ?? defaultBatchNormMomentum, s.epsilon ?? defaultBatchNormEpsilon, opts, { kind: 'relu' }) as tf.Tensor4D;
      };
      // upsample, then conv1 (one op: the fast form convolves the small image, see NnOps)
      let h = ops.upsampleConv2dBias(bnRelu('bn1', x4), kernel('conv1'), p['conv1/bias']!); // [b, 2h, 2w, filters]
      h = conv('conv2', bnRelu('bn2', h)); // [b, 2h, 2w, filters]
      // conv1x1 then upsample equals upsample then conv1x1 (both act per pixel), at a quarter of the cost
      return tf.add(h, ops.upsample2x(conv('shortcut', x4)));
    },
    couplesBatch: true,
    keras: {
      build: (s, ctx) => {
        const momentum = s.momentum ?? defaultBatchNormMomentum;
        const epsilon = s.epsilon ?? defaultBatchNormEpsilon;
        let h = keras.relu(ctx, keras.batchNorm(ctx, ctx.x, 'bn1/', ctx.name('bn1'), momentum, epsilon), ctx.name('relu1'));
        h = keras.upsample2x(ctx, h, ctx.name('up'));
        h = keras.sameConv(ctx, h, 'conv1/', 3, s.filters, ctx.name('conv1'));
        h = keras.relu(ctx, keras.batchNorm(ctx, h, 'bn2/', ctx.name('bn2'), momentum, epsilon), ctx.name('relu2'));
        h = keras.sameConv(ctx, h, 'conv2/', 3, s.filters, ctx.name('conv2'));
        // the order Gantry computes it in: 1x1 conv, then upsample
        const shortcut = keras.upsample2x(ctx, keras.sameConv(ctx, ctx.x, 'shortcut/', 1, s.filters, ctx.name('shortcut')), ctx.name('shortcut_up'));
        return ctx.apply(tf.layers.add({ name: ctx.name() }), [h, shortcut]);
      },
    },
    onnx: {
      build: (s, ctx) => {
        const [h, w, c] = ctx.inShape as [number, number, number];
        const up = [2 * h, 2 * w, s.filters];
        const epsilon = s.epsilon ?? defaultBatchNormEpsilon;
        let y = onnx.relu(ctx, onnx.batchNorm(ctx, ctx.x, 'bn1/', epsilon, ctx.name('bn1')), ctx.name('relu1'));
        y = onnx.upsample2x(ctx, y, ctx.name('up'));
        y = onnx.sameConv(ctx, y, [2 * h, 2 * w, c], 'conv1/', 3, ctx.name('conv1'));
        y = onnx.relu(ctx, onnx.batchNorm(ctx, y, 'bn2/', epsilon, ctx.name('bn2')), ctx.name('relu2'));
        y = onnx.sameConv(ctx, y, up, 'conv2/', 3, ctx.name('conv2'));
        // the order Gantry computes it in: 1x1 conv, then upsample
        const shortcut = onnx.upsample2x(ctx, onnx.sameConv(ctx, ctx.x, ctx.inShape, 'shortcut/', 1, ctx.name('shortcut')), ctx.name('shortcut_up'));
        return ctx.graph.node('Add', [y, shortcut], ctx.name());
      },
    },
    example: { input: [2, 2, 3], spec: { kind: 'resBlockUp', filters: 2, spectralNorm: true } },
  },

  resBlockDown: {
    keys: { filters: true, preactivation: true, spectralNorm: true },
    outputShape: (s, shape) => [...halved(s.kind, shape), s.filters],
    params: (s, shape, add, draws, snRng) => {
      const inC = shape[2];
      const f = s.filters;
      addConv(add, draws, 'conv1', 3, inC, f);
      addConv(add, draws, 'conv2', 3, f, f);
      addConv(add, draws, 'shortcut', 1, inC, f);
      if (s.spectralNorm) addBlockSpectralVectors(add, snRng, inC, f);
    },
    apply: (s, x, p, { opts }) => {
      const x4 = x as tf.Tensor4D;
      const { ops, kernel, conv } = blockOps(p, opts);
      let h = s.preactivation === false ? x4 : (ops.relu(x4) as tf.Tensor4D);
      // conv2, then the pooling (one op: the fast form computes only the pooled values, see NnOps)
      h = ops.convAvgPool2dBias(conv('conv1', h, { kind: 'relu' }), kernel('conv2'), p['conv2/bias']!); // [b, h/2, w/2, filters]
      // avgPool then conv1x1 equals conv1x1 then avgPool (both linear, one per pixel), at a quarter of the cost
      return tf.add(h, conv('shortcut', ops.avgPool2x(x4)));
    },
    keras: {
      build: (s, ctx) => {
        let h = s.preactivation === false ? ctx.x : keras.relu(ctx, ctx.x, ctx.name('relu0'));
        h = keras.relu(ctx, keras.sameConv(ctx, h, 'conv1/', 3, s.filters, ctx.name('conv1')), ctx.name('relu1'));
        h = keras.avgPool2x(ctx, keras.sameConv(ctx, h, 'conv2/', 3, s.filters, ctx.name('conv2')), ctx.name('pool'));
        const shortcut = keras.sameConv(ctx, keras.avgPool2x(ctx, ctx.x, ctx.name('shortcut_pool')), 'shortcut/', 1, s.filters, ctx.name('shortcut'));
        return ctx.apply(tf.layers.add({ name: ctx.name() }), [h, shortcut]);
      },
    },
    onnx: {
      build: (s, ctx) => {
        const [h, w] = ctx.inShape as [number, number, number];
        let y = s.preactivation === false ? ctx.x : onnx.relu(ctx, ctx.x, ctx.name('relu0'));
        y = onnx.relu(ctx, onnx.sameConv(ctx, y, ctx.inShape, 'conv1/', 3, ctx.name('conv1')), ctx.name('relu1'));
        y = onnx.avgPool2x(ctx, onnx.sameConv(ctx, y, [h, w, s.filters], 'conv2/', 3, ctx.name('conv2')), ctx.name('pool'));
        const pooled = onnx.avgPool2x(ctx, ctx.x, ctx.name('shortcut_pool'));
        const shortcut = onnx.sameConv(ctx, pooled, [h / 2, w / 2, ctx.inShape[2]!], 'shortcut/', 1, ctx.name('shortcut'));
        return ctx.graph.node('Add', [y, shortcut], ctx.name());
      },
    },
    example: { input: [4, 4, 2], spec: { kind: 'resBlockDown', filters: 3, preactivation: false } },
  },

  upsample: {
    keys: {},
    outputShape: (s, shape) => {
      const [h, w, c] = image(s.kind, shape);
      return [2 * h, 2 * w, c];
    },
    apply: (_s, x, _p, { opts }) => (opts.ops ?? nnOps()).upsample2x(x as tf.Tensor4D),
    keras: { build: (_s, ctx) => keras.upsample2x(ctx, ctx.x, ctx.name()) },
    onnx: { build: (_s, ctx) => onnx.upsample2x(ctx, ctx.x, ctx.name()) },
    example: { input: [2, 3, 2], spec: { kind: 'upsample' } },
  },

  avgPool: {
    keys: {},
    outputShape: (s, shape) => [...halved(s.kind, shape), shape[2]],
    apply: (_s, x, _p, { opts }) => (opts.ops ?? nnOps()).avgPool2x(x as tf.Tensor4D),
    keras: { build: (_s, ctx) => keras.avgPool2x(ctx, ctx.x, ctx.name()) },
    onnx: { build: (_s, ctx) => onnx.avgPool2x(ctx, ctx.x, ctx.name()) },
    example: { input: [4, 6, 2], spec: { kind: 'avgPool' } },
  },

  globalSumPool: {
    keys: {},
    outputShape: (s, shape) => [image(s.kind, shape)[2]],
    apply: (_s, x) => tf.sum(x as tf.Tensor4D, [1, 2]),
    keras: {
      build: (_s, ctx) => {
        // Keras has no sum pooling: a depthwise convolution over the whole image with a kernel of ones is one.
        const [h, w, c] = ctx.inShape;
        const layer = tf.layers.depthwiseConv2d({ kernelSize: [h, w], depthMultiplier: 1, padding: 'valid', useBias: false, depthwiseInitializer: keras.zeros, name: ctx.name('sum') });
        const summed = ctx.apply(layer, ctx.x, [tf.ones([h, w, c, 1])]);
        return ctx.apply(tf.layers.flatten({ name: ctx.name() }), summed);
      },
    },
    onnx: {
      build: (_s, ctx) => ctx.graph.node('ReduceSum', [ctx.x, ctx.graph.int64s(ctx.name('axes'), [2, 3])], ctx.name(), { keepdims: { int: 0 } }),
    },
    example: { input: [2, 3, 4], spec: { kind: 'globalSumPool' } },
  },
};
