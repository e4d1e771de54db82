import * as tf from '@tensorflow/tfjs';
import type { OnnxGraphBuilder } from './onnxGraph.js';

/**
 * The ONNX side of a layer definition: what an entry sees of the layer it translates, and the
 * building blocks several entries share. onnxExport.ts walks a network and calls each layer's
 * entry; the entries live with their kinds (layerRegistry.ts lists them).
 *
 * Inside the graph an image is NCHW, the layout of ONNX's Conv and its runtimes; features are
 * [batch, F]. Gantry's own tensors are NHWC, so a reshape or flatten that meets an image passes
 * through NHWC.
 */

/** What an entry sees of the layer it translates. */
export interface OnnxLayerContext {
  graph: OnnxGraphBuilder;
  /** The incoming tensor's name: [batch, F] features or a [batch, C, H, W] image. */
  x: string;
  /** Gantry's per-example shapes: [F] or [H, W, C]. */
  inShape: number[];
  outShape: number[];
  /** The labels input, int64 [batch], or null for an unconditional network. */
  labels: string | null;
  /** A unique tensor name with `suffix`, e.g. `g3_batchNorm_bn1`. */
  name(suffix?: string): string;
  /** The stored value of parameter `key`. */
  param(key: string): tf.Tensor;
  /** The kernel `key` as the inference forward uses it: divided by sigma when it has a `<key>/sn_u`-style vector. */
  kernel(key: string, snKey: string): tf.Tensor;
}

/** A layer's ONNX form, or, for a kind that has none, why (export then names the layer and stops). */
export type OnnxLayerEntry<S> = { build: (spec: S, ctx: OnnxLayerContext) => string } | { unsupported: string };

export const toNhwc = [0, 2, 3, 1];
export const toNchw = [0, 3, 1, 2];

export function floats(ctx: OnnxLayerContext, name: string, t: tf.Tensor): string {
  return ctx.graph.floats(name, t.dataSync() as Float32Array, t.shape);
}

/** An HWIO kernel ([k, k, in, out]) as ONNX's OIHW; a transposed conv's [k, k, out, in] becomes ONNX's (in, out, k, k). */
export function oihw(ctx: OnnxLayerContext, name: string, kernel: tf.Tensor): string {
  const t = tf.transpose(kernel, [3, 2, 0, 1]);
  try {
    return floats(ctx, name, t);
  } finally {
    t.dispose();
  }
}

/** TF's 'same' padding of one spatial axis: the total split with the odd one at the end. */
function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export interface ConvGeometry {
  kernel: number;
  stride: number;
  padding: 'same' | 'valid';
}

/** Conv of an NCHW image of Gantry shape `inShape` with an HWIO kernel and an optional bias. */
export function conv(ctx: OnnxLayerContext, x: string, inShape: number[], g: ConvGeometry, kernel: tf.Tensor, bias: tf.Tensor | null, name: string): string {
  const [h, w] = inShape;
  const [top, bottom] = g.padding === 'same' ? samePads(h!, g.kernel, g.stride) : [0, 0];
  const [left, right] = g.padding === 'same' ? samePads(w!, g.kernel, g.stride) : [0, 0];
  const inputs = [x, oihw(ctx, `${name}/kernel`, kernel), ...(bias ? [floats(ctx, `${name}/bias`, bias)] : [])];
  return ctx.graph.node('Conv', inputs, name, {
    kernel_shape: { ints: [g.kernel, g.kernel] },
    strides: { ints: [g.stride, g.stride] },
    pads: { ints: [top, left, bottom, right] },
  });
}

/** A 'same' stride-1 convolution with bias from parameters `${prefix}kernel`, `${prefix}bias` (spectral norm folded). */
export function sameConv(ctx: OnnxLayerContext, x: string, inShape: number[], prefix: string, kernel: number, name: string): string {
  return conv(ctx, x, inShape, { kernel, stride: 1, padding: 'same' }, ctx.kernel(`${prefix}kernel`, `${prefix}sn_u`), ctx.param(`${prefix}bias`), name);
}

/** Batchnorm with the running statistics `${prefix}movingMean` and `${prefix}movingVariance`. */
export function batchNorm(ctx: OnnxLayerContext, x: string, prefix: string, epsilon: number, name: string): string {
  const inputs = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => floats(ctx, `${name}/${k}`, ctx.param(`${prefix}${k}`)));
  return ctx.graph.node('BatchNormalization', [x, ...inputs], name, { epsilon: { float: epsilon } });
}

/** Nearest-neighbour 2x upsampling of an NCHW image: each output pixel copies x[floor(i / 2), floor(j / 2)]. */
export function upsample2x(ctx: OnnxLayerContext, x: string, name: string): string {
  const scales = ctx.graph.floats(`${name}/scales`, Float32Array.of(1, 1, 2, 2), [4]);
  return ctx.graph.node('Resize', [x, '', scales], name, {
    mode: { string: 'nearest' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    nearest_mode: { string: 'floor' },
  });
}

export function avgPool2x(ctx: OnnxLayerContext, x: string, name: string): string {
  return ctx.graph.node('AveragePool', [x], name, { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
}

export function relu(ctx: OnnxLayerContext, x: string, name: string): string {
  return ctx.graph.node('Relu', [x], name);
}

/** An entry for a layer that is one elementwise ONNX operator. */
export function unary(op: string): OnnxLayerEntry<{ kind: string }> {
  return { build: (_s, ctx) => ctx.graph.node(op, [ctx.x], ctx.name()) };
}

/** Gantry's reshape (NHWC order) of `x` to per-example `shape`, from and to the graph's layouts. */
export function reshape(ctx: OnnxLayerContext, shape: number[]): string {
  let x = ctx.x;
  if (ctx.inShape.length === 3) x = ctx.graph.node('Transpose', [x], ctx.name('nhwc'), { perm: { ints: toNhwc } });
  // 0 keeps the batch axis as it is (Reshape's allowzero is 0)
  x = ctx.graph.node('Reshape', [x, ctx.graph.int64s(ctx.name('shape'), [0, ...shape])], shape.length === 3 ? ctx.name('nhwc_out') : ctx.name());
  if (shape.length === 3) x = ctx.graph.node('Transpose', [x], ctx.name(), { perm: { ints: toNchw } });
  return x;
}
