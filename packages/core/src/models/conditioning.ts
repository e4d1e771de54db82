import * as tf from '@tensorflow/tfjs';
import * as keras from './kerasLayers.js';
import type { ApplyOptions, LayerDefinitions } from './layerDefinition.js';
import * as onnx from './onnxLayers.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * Class conditioning. Labels reach the layers through `apply(x, {labels})`, an int32
 * tensor [batch] of class indices in [0, classes).
 *
 * - labelConcat: appends the label, one-hot or as a learned embedding, to each example's
 *   features (rank 1) or to every pixel's channels (rank 3).
 * - projection: the projection discriminator's head (Miyato & Koyama 2018),
 *   logit = h w + b + <embed(y), h>, from features h [batch, F].
 * - auxClassifier: ACGAN's head, [batch, 1 + classes]: the adversarial logit, then class logits.
 *   It does not read the labels (the ACGAN loss compares its class logits with them).
 *
 * Variables: labelConcat `embedding` [classes, E] when `embedding` is set (uniform
 * in [-0.05, 0.05], as Keras' Embedding), none for one-hot; projection `kernel` [F, 1],
 * `bias` [1], `embedding` [classes, F] (Glorot-uniform); auxClassifier `kernel` [F, 1 + classes]
 * and `bias`. With spectralNorm, `sn_u` for the kernel (and `embedding_sn_u` for the projection's embedding).
 */
export type ConditioningLayerSpec =
  | { kind: 'labelConcat'; classes: number; embedding?: number }
  | { kind: 'projection'; classes: number; spectralNorm?: boolean }
  | { kind: 'auxClassifier'; classes: number; spectralNorm?: boolean };

/** The labels of a batch, checked: int32 [batch]. */
export function requireLabels(opts: ApplyOptions, batch: number, what: string): tf.Tensor1D {
  const y = opts.labels;
  if (!y) throw new Error(`${what} needs class labels: call apply(x, {labels}) with an int32 tensor [batch]`);
  if (y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] !== batch) {
    throw new Error(`${what} needs labels as an int32 tensor [${batch}], got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  return y as tf.Tensor1D;
}

/** A head's input must be features [F]. */
function features(kind: string, shape: number[]): number {
  if (shape.length !== 1) {
    throw new Error(`layer ${kind} needs features [F] per example (add a flatten or globalSumPool before it), got [${shape.join(', ')}]`);
  }
  return shape[0];
}

const headUnsupported = (what: string) => ({ unsupported: `it is a discriminator's head (${what}); a generator cannot end in it` });

export const conditioningLayers: LayerDefinitions<ConditioningLayerSpec> = {
  labelConcat: {
    keys: { classes: true, embedding: true },
    outputShape: (s, shape) => {
      const width = s.embedding ?? s.classes;
      if (shape.length === 1) return [shape[0] + width];
      if (shape.length === 3) return [shape[0], shape[1], shape[2] + width];
      throw new Error(`layer labelConcat needs features [F] or an image [height, width, channels] per example, got [${shape.join(', ')}]`);
    },
    params: (s, _shape, add, draws) => {
      if (s.embedding !== undefined) {
        add('embedding', draws.uniform(s.classes * s.embedding, -0.05, 0.05), [s.classes, s.embedding], true);
      }
    },
    apply: (s, x, p, { opts, what }) => {
      const batch = x.shape[0];
      const y = requireLabels(opts, batch, what);
      const code = p.embedding ? tf.gather(p.embedding, y) : tf.oneHot(y, s.classes).toFloat(); // [batch, E]
      if (x.rank === 2) return tf.concat([x, code], 1);
      const [, h, w] = x.shape;
      const planes = tf.tile(tf.reshape(code, [batch, 1, 1, -1]), [1, h, w, 1]); // [batch, h, w, E]
      return tf.concat([x, planes], 3);
    },
    readsLabels: true,
    keras: {
      build: (s, ctx) => {
        if (!ctx.labels) throw new Error('labelConcat needs the labels input');
        // A one-hot code is an embedding whose table is the identity: one layer kind for both forms.
        const width = s.embedding ?? s.classes;
        const table = s.embedding !== undefined ? ctx.param('embedding') : tf.eye(s.classes);
        const embedded = ctx.apply(tf.layers.embedding({ inputDim: s.classes, outputDim: width, inputLength: 1, embeddingsInitializer: keras.zeros, name: ctx.name('embedding') }), ctx.labels, [table]);
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
    onnx: {
      build: (s, ctx) => {
        if (!ctx.labels) throw new Error('labelConcat needs the labels input');
        // A one-hot code is an embedding whose table is the identity: one form for both.
        const width = s.embedding ?? s.classes;
        const table = s.embedding !== undefined ? ctx.param('embedding') : tf.eye(s.classes);
        const tableName = onnx.floats(ctx, ctx.name('table'), table);
        if (s.embedding === undefined) table.dispose();
        let code = ctx.graph.node('Gather', [tableName, ctx.labels], ctx.name('code'), { axis: { int: 0 } }); // [batch, width]
        if (ctx.inShape.length === 3) {
          const [h, w] = ctx.inShape;
          code = ctx.graph.node('Reshape', [code, ctx.graph.int64s(ctx.name('pixel_shape'), [0, width, 1, 1])], ctx.name('pixel'));
          // broadcasting [batch, width, 1, 1] against [1, width, h, w] repeats the code at every pixel
          code = ctx.graph.node('Expand', [code, ctx.graph.int64s(ctx.name('planes_shape'), [1, width, h!, w!])], ctx.name('planes'));
        }
        return ctx.graph.node('Concat', [ctx.x, code], ctx.name(), { axis: { int: 1 } });
      },
    },
    example: { input: [2, 2, 3], spec: { kind: 'labelConcat', classes: 4, embedding: 2 } },
  },

  projection: {
    keys: { classes: true, spectralNorm: true },
    outputShape: (s, shape) => {
      features(s.kind, shape);
      return [1];
    },
    params: (s, shape, add, draws, snRng) => {
      const f = shape[0];
      add('kernel', draws.kernel(f, 1, f), [f, 1], true);
      add('bias', new Float32Array(1), [1], true);
      add('embedding', draws.kernel(s.classes, f, s.classes * f), [s.classes, f], true);
      if (s.spectralNorm) {
        addSpectralVector(add, 'sn_u', [f, 1], snRng);
        addSpectralVector(add, 'embedding_sn_u', [s.classes, f], snRng);
      }
    },
    apply: (_s, x, p, { opts, what }) => {
      const y = requireLabels(opts, x.shape[0], what);
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts);
      const embedding = effectiveKernel(p.embedding, p.embedding_sn_u, opts);
      const linear = tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), p.bias); // [batch, 1]
      const projected = tf.sum(tf.mul(tf.gather(embedding, y), x), 1, true); // [batch, 1]
      return tf.add(linear, projected);
    },
    readsLabels: true,
    keras: headUnsupported('it scores an image against a label'),
    onnx: headUnsupported('it scores an image against a label'),
    example: { input: [6], spec: { kind: 'projection', classes: 3, spectralNorm: true } },
  },

  auxClassifier: {
    keys: { classes: true, spectralNorm: true },
    outputShape: (s, shape) => {
      features(s.kind, shape);
      return [1 + s.classes];
    },
    params: (s, shape, add, draws, snRng) => {
      const f = shape[0];
      const units = 1 + s.classes;
      add('kernel', draws.kernel(f, units, f * units), [f, units], true);
      add('bias', new Float32Array(units), [units], true);
      if (s.spectralNorm) addSpectralVector(add, 'sn_u', [f, units], snRng);
    },
    apply: (_s, x, p, { opts }) => {
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts);
      return tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), p.bias); // [batch, 1 + classes]
    },
    keras: headUnsupported("ACGAN's class logits"),
    onnx: headUnsupported("ACGAN's class logits"),
    example: { input: [6], spec: { kind: 'auxClassifier', classes: 3 } },
  },
};
