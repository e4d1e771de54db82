import * as tf from '@tensorflow/tfjs';
import type { LayerDefinitions } from './layerDefinition.js';
import * as onnx from './onnxLayers.js';

/** Layers that only rearrange an example's values (NHWC order): reshape to `shape`, and flatten to features. */
export type ReshapeLayerSpec = { kind: 'reshape'; shape: number[] } | { kind: 'flatten' };

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const reshapeLayers: LayerDefinitions<ReshapeLayerSpec> = {
  reshape: {
    keys: { shape: true },
    outputShape: (s, shape) => {
      if (size(shape) !== size(s.shape)) throw new Error(`reshape from [${shape.join(', ')}] to [${s.shape.join(', ')}] changes the size`);
      return s.shape.slice();
    },
    apply: (s, x) => tf.reshape(x, [x.shape[0], ...s.shape]),
    keras: { build: (s, ctx) => ctx.apply(tf.layers.reshape({ targetShape: s.shape, name: ctx.name() }), ctx.x) },
    onnx: { build: (s, ctx) => onnx.reshape(ctx, s.shape) },
    example: { input: [12], spec: { kind: 'reshape', shape: [2, 2, 3] } },
  },
  flatten: {
    keys: {},
    outputShape: (_s, shape) => [size(shape)],
    apply: (_s, x) => tf.reshape(x, [x.shape[0], -1]),
    keras: { build: (_s, ctx) => ctx.apply(tf.layers.flatten({ name: ctx.name() }), ctx.x) },
    onnx: { build: (_s, ctx) => onnx.reshape(ctx, [-1]) },
    example: { input: [2, 2, 3], spec: { kind: 'flatten' } },
  },
};
