import * as tf from '@tensorflow/tfjs';
import * as keras from './kerasLayers.js';
import type { LayerDefinitions } from './layerDefinition.js';
import { nnOps } from './nnOps.js';
import * as onnx from './onnxLayers.js';

/**
 * Elementwise activations. relu and leakyRelu right after a convolution with a bias or a
 * batchnorm run inside that layer's op (the same values, one pass).
 */
export type ActivationLayerSpec = { kind: 'relu' } | { kind: 'leakyRelu'; alpha: number } | { kind: 'sigmoid' } | { kind: 'tanh' };

const sameShape = (_s: unknown, shape: number[]) => shape.slice();

export const activationLayers: LayerDefinitions<ActivationLayerSpec> = {
  relu: {
    keys: {},
    outputShape: sameShape,
    apply: (_s, x, _p, { opts }) => (opts.ops ?? nnOps()).relu(x),
    asActivation: () => ({ kind: 'relu' }),
    keras: keras.activation('relu'),
    onnx: onnx.unary('Relu'),
    example: { input: [6], spec: { kind: 'relu' } },
  },
  leakyRelu: {
    keys: { alpha: true },
    outputShape: sameShape,
    apply: (s, x, _p, { opts }) => (opts.ops ?? nnOps()).leakyRelu(x, s.alpha),
    asActivation: (s) => ({ kind: 'leakyRelu', alpha: s.alpha }),
    keras: { build: (s, ctx) => ctx.apply(tf.layers.leakyReLU({ alpha: s.alpha, name: ctx.name() }), ctx.x) },
    onnx: { build: (s, ctx) => ctx.graph.node('LeakyRelu', [ctx.x], ctx.name(), { alpha: { float: s.alpha } }) },
    example: { input: [6], spec: { kind: 'leakyRelu', alpha: 0.2 } },
  },
  sigmoid: {
    keys: {},
    outputShape: sameShape,
    apply: (_s, x) => tf.sigmoid(x),
    keras: keras.activation('sigmoid'),
    onnx: onnx.unary('Sigmoid'),
    example: { input: [6], spec: { kind: 'sigmoid' } },
  },
  tanh: {
    keys: {},
    outputShape: sameShape,
    apply: (_s, x) => tf.tanh(x),
    keras: keras.activation('tanh'),
    onnx: onnx.unary('Tanh'),
    example: { input: [6], spec: { kind: 'tanh' } },
  },
};
