import * as tf from '@tensorflow/tfjs';
import { defaultBatchNormEpsilon } from './batchNorm.js';
import { NotExportableError } from './kerasExport.js';
import { layerOutputShape, type LayerSpec, type Network } from './network.js';
import { OnnxGraphBuilder, valueInfo, type OnnxModelParts } from './onnxGraph.js';
import { effectiveKernel } from './spectralNorm.js';

/**
 * Gantry's layer specs as ONNX operators (opset 17), for a generator in inference mode: batchnorm
 * with its running statistics, spectral norm folded into the kernel (as the inference forward and
 * the TF.js export compute it), conditioning from an int64 `labels` input.
 *
 * Inside the graph an image is NCHW, the layout of ONNX's Conv and its runtimes; features are
 * [batch, F]. Gantry's own tensors are NHWC, so a reshape or flatten that meets an image passes
 * through NHWC, and the output `images` is transposed back: NHWC in G's pixel range, as the TF.js
 * export gives it.
 *
 * One entry per layer kind, in a table whose type lists every kind (as kerasExport.ts does for
 * TF.js): a new kind without an entry does not compile. A kind that has no ONNX form says why.
 */

type Kind = LayerSpec['kind'];
type SpecOf<K extends Kind> = Extract<LayerSpec, { kind: K }>;

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

export type OnnxLayerEntry<S> = { build: (spec: S, ctx: OnnxLayerContext) => string } | { unsupported: string };

function floats(ctx: OnnxLayerContext, name: string, t: tf.Tensor): string {
  return ctx.graph.floats(name, t.dataSync() as Float32Array, t.shape);
}

/** An HWIO kernel ([k, k, in, out]) as ONNX's OIHW; a transposed conv's [k, k, out, in] becomes ONNX's (in, out, k, k). */
function oihw(ctx: OnnxLayerContext, name: string, kernel: tf.Tensor): string {
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

interface ConvGeometry {
  kernel: number;
  stride: number;
  padding: 'same' | 'valid';
}

/** Conv of an NCHW image of Gantry shape `inShape` with an HWIO kernel and an optional bias. */
function conv(ctx: OnnxLayerContext, x: string, inShape: number[], g: ConvGeometry, kernel: tf.Tensor, bias: tf.Tensor | null, name: string): string {
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
function sameConv(ctx: OnnxLayerContext, x: string, inShape: number[], prefix: string, kernel: number, name: string): string {
  return conv(ctx, x, inShape, { kernel, stride: 1, padding: 'same' }, ctx.kernel(`${prefix}kernel`, `${prefix}sn_u`), ctx.param(`${prefix}bias`), name);
}

/** Batchnorm with the running statistics `${prefix}movingMean` and `${prefix}movingVariance`. */
function batchNorm(ctx: OnnxLayerContext, x: string, prefix: string, epsilon: number | undefined, name: string): string {
  const inputs = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => floats(ctx, `${name}/${k}`, ctx.param(`${prefix}${k}`)));
  return ctx.graph.node('BatchNormalization', [x, ...inputs], name, { epsilon: { float: epsilon ?? defaultBatchNormEpsilon } });
}

/** Nearest-neighbour 2x upsampling of an NCHW image: each output pixel copies x[floor(i / 2), floor(j / 2)]. */
function upsample2x(ctx: OnnxLayerContext, x: string, name: string): string {
  const scales = ctx.graph.floats(`${name}/scales`, Float32Array.of(1, 1, 2, 2), [4]);
  return ctx.graph.node('Resize', [x, '', scales], name, {
    mode: { string: 'nearest' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    nearest_mode: { string: 'floor' },
  });
}

function avgPool2x(ctx: OnnxLayerContext, x: string, name: string): string {
  return ctx.graph.node('AveragePool', [x], name, { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
}

function relu(ctx: OnnxLayerContext, x: string, name: string): string {
  return ctx.graph.node('Relu', [x], name);
}

function unary(op: string): OnnxLayerEntry<{ kind: string }> {
  return { build: (_s, ctx) => ctx.graph.node(op, [ctx.x], ctx.name()) };
}

const toNhwc = [0, 2, 3, 1];
const toNchw = [0, 3, 1, 2];

/** Gantry's reshape (NHWC order) of `x` to per-example `shape`, from and to the graph's layouts. */
function reshape(ctx: OnnxLayerContext, shape: number[]): string {
  let x = ctx.x;
  if (ctx.inShape.length === 3) x = ctx.graph.node('Transpose', [x], ctx.name('nhwc'), { perm: { ints: toNhwc } });
  // 0 keeps the batch axis as it is (Reshape's allowzero is 0)
  x = ctx.graph.node('Reshape', [x, ctx.graph.int64s(ctx.name('shape'), [0, ...shape])], shape.length === 3 ? ctx.name('nhwc_out') : ctx.name());
  if (shape.length === 3) x = ctx.graph.node('Transpose', [x], ctx.name(), { perm: { ints: toNchw } });
  return x;
}

export const onnxLayerTable: { [K in Kind]: OnnxLayerEntry<SpecOf<K>> } = {
  dense: {
    build: (s, ctx) => {
      const kernel = floats(ctx, ctx.name('kernel'), ctx.kernel('kernel', 'sn_u'));
      const inputs = [ctx.x, kernel, ...(s.bias !== false ? [floats(ctx, ctx.name('bias'), ctx.param('bias'))] : [])];
      return ctx.graph.node('Gemm', inputs, ctx.name());
    },
  },
  conv2d: {
    build: (s, ctx) => conv(ctx, ctx.x, ctx.inShape, s, ctx.kernel('kernel', 'sn_u'), s.bias !== false ? ctx.param('bias') : null, ctx.name()),
  },
  conv2dTranspose: {
    build: (s, ctx) => {
      // TF's transposed conv is the input gradient of a conv from the output's size: that conv's
      // padding is cut from the full result, and where the full result is shorter than Gantry's
      // output (a kernel smaller than the stride) output_padding adds the rows that get no input.
      const axis = (size: number, out: number) => {
        const full = (size - 1) * s.stride + s.kernel;
        const total = Math.max(full - out, 0);
        const before = Math.floor(total / 2);
        return { before, after: total - before, extra: out - (full - total) };
      };
      const gh = axis(ctx.inShape[0]!, ctx.outShape[0]!);
      const gw = axis(ctx.inShape[1]!, ctx.outShape[1]!);
      const name = ctx.name();
      const inputs = [ctx.x, oihw(ctx, `${name}/kernel`, ctx.kernel('kernel', 'sn_u')), ...(s.bias !== false ? [floats(ctx, `${name}/bias`, ctx.param('bias'))] : [])];
      return ctx.graph.node('ConvTranspose', inputs, name, {
        kernel_shape: { ints: [s.kernel, s.kernel] },
        strides: { ints: [s.stride, s.stride] },
        pads: { ints: [gh.before, gw.before, gh.after, gw.after] },
        output_padding: { ints: [gh.extra, gw.extra] },
      });
    },
  },
  batchNorm: { build: (s, ctx) => batchNorm(ctx, ctx.x, '', s.epsilon, ctx.name()) },
  relu: unary('Relu'),
  leakyRelu: { build: (s, ctx) => ctx.graph.node('LeakyRelu', [ctx.x], ctx.name(), { alpha: { float: s.alpha } }) },
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  reshape: { build: (s, ctx) => reshape(ctx, s.shape) },
  flatten: { build: (_s, ctx) => reshape(ctx, [-1]) },
  labelConcat: {
    build: (s, ctx) => {
      if (!ctx.labels) throw new Error('labelConcat needs the labels input');
      // A one-hot code is an embedding whose table is the identity: one form for both.
      const width = s.embedding ?? s.classes;
      const table = s.embedding !== undefined ? ctx.param('embedding') : tf.eye(s.classes);
      const tableName = floats(ctx, ctx.name('table'), table);
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
  projection: { unsupported: "it is a discriminator's head (it scores an image against a label); a generator cannot end in it" },
  auxClassifier: { unsupported: "it is a discriminator's head (ACGAN's class logits); a generator cannot end in it" },
  resBlockUp: {
    build: (s, ctx) => {
      const [h, w, c] = ctx.inShape as [number, number, number];
      const up = [2 * h, 2 * w, s.filters];
      let y = relu(ctx, batchNorm(ctx, ctx.x, 'bn1/', s.epsilon, ctx.name('bn1')), ctx.name('relu1'));
      y = upsample2x(ctx, y, ctx.name('up'));
      y = sameConv(ctx, y, [2 * h, 2 * w, c], 'conv1/', 3, ctx.name('conv1'));
      y = relu(ctx, batchNorm(ctx, y, 'bn2/', s.epsilon, ctx.name('bn2')), ctx.name('relu2'));
      y = sameConv(ctx, y, up, 'conv2/', 3, ctx.name('conv2'));
      // the order Gantry computes it in: 1x1 conv, then upsample
      const shortcut = upsample2x(ctx, sameConv(ctx, ctx.x, ctx.inShape, 'shortcut/', 1, ctx.name('shortcut')), ctx.name('shortcut_up'));
      return ctx.graph.node('Add', [y, shortcut], ctx.name());
    },
  },
  resBlockDown: {
    build: (s, ctx) => {
      const [h, w] = ctx.inShape as [number, number, number];
      let y = s.preactivation === false ? ctx.x : relu(ctx, ctx.x, ctx.name('relu0'));
      y = relu(ctx, sameConv(ctx, y, ctx.inShape, 'conv1/', 3, ctx.name('conv1')), ctx.name('relu1'));
      y = avgPool2x(ctx, sameConv(ctx, y, [h, w, s.filters], 'conv2/', 3, ctx.name('conv2')), ctx.name('pool'));
      const pooled = avgPool2x(ctx, ctx.x, ctx.name('shortcut_pool'));
      const shortcut = sameConv(ctx, pooled, [h / 2, w / 2, ctx.inShape[2]!], 'shortcut/', 1, ctx.name('shortcut'));
      return ctx.graph.node('Add', [y, shortcut], ctx.name());
    },
  },
  upsample: { build: (_s, ctx) => upsample2x(ctx, ctx.x, ctx.name()) },
  avgPool: { build: (_s, ctx) => avgPool2x(ctx, ctx.x, ctx.name()) },
  globalSumPool: {
    build: (_s, ctx) => ctx.graph.node('ReduceSum', [ctx.x, ctx.graph.int64s(ctx.name('axes'), [2, 3])], ctx.name(), { keepdims: { int: 0 } }),
  },
};

/** Every layer of `layers` that has no ONNX form, as `layer i (kind): why`. */
export function unexportableOnnxLayers(layers: readonly LayerSpec[]): string[] {
  return layers.flatMap((l, i) => {
    const entry = onnxLayerTable[l.kind] as OnnxLayerEntry<LayerSpec>;
    return 'unsupported' in entry ? [`layer ${i} (${l.kind}): ${entry.unsupported}`] : [];
  });
}

/** The graph's inputs and output as gantry.json describes them; `null` is the batch axis. */
export interface OnnxSignature {
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int64' }[];
  outputs: { name: string; shape: (number | null)[]; dtype: 'float32' }[];
}

/**
 * The generator `net` (its current variables) as an ONNX graph with inputs `z` (float32
 * [batch, latent]) and, for a conditional network, `labels` (int64 [batch]); its output `images`
 * is G's output, NHWC, in G's own pixel range. The batch axis is dynamic.
 */
export function onnxGenerator(net: Network, about: { producerVersion: string; docString: string; metadata: Record<string, string> }): { parts: OnnxModelParts; signature: OnnxSignature } {
  const blocked = unexportableOnnxLayers(net.spec.layers);
  if (blocked.length > 0) throw new NotExportableError(`${net.name} cannot be exported as ONNX: ${blocked.join('; ')}`);
  const values = new Map(net.allVariables().map((v) => [v.name, v.variable]));
  const graph = new OnnxGraphBuilder();
  const signature: OnnxSignature = {
    inputs: [
      { name: graph.unique('z'), shape: [null, ...net.spec.input], dtype: 'float32' },
      ...(net.conditional ? [{ name: graph.unique('labels'), shape: [null], dtype: 'int64' as const }] : []),
    ],
    outputs: [{ name: 'images', shape: [null, ...net.outputShape], dtype: 'float32' }],
  };
  const labels = net.conditional ? 'labels' : null;
  const made: tf.Tensor[] = [];
  try {
    let shape = net.spec.input.slice();
    let x = 'z';
    if (shape.length === 3) x = graph.node('Transpose', [x], 'z_nchw', { perm: { ints: toNchw } });
    net.spec.layers.forEach((spec, i) => {
      const outShape = layerOutputShape(spec, shape);
      const prefix = `${net.name}/${i}_${spec.kind}/`;
      const variable = (key: string) => {
        const v = values.get(prefix + key);
        if (!v) throw new Error(`${net.name} has no parameter ${prefix + key}`);
        return v;
      };
      const ctx: OnnxLayerContext = {
        graph,
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
      };
      const entry = onnxLayerTable[spec.kind] as { build: (s: LayerSpec, c: OnnxLayerContext) => string };
      x = entry.build(spec, ctx);
      shape = outShape;
    });
    // no layer's tensor is called plainly 'images' (theirs start with g<i>_), so the name stays as it is
    const images = shape.length === 3 ? graph.node('Transpose', [x], 'images', { perm: { ints: toNhwc } }) : graph.node('Identity', [x], 'images');
    if (images !== 'images') throw new Error(`the output of ${net.name} was named ${images}`);
    const parts: OnnxModelParts = {
      graphName: 'generator',
      builder: graph,
      inputs: signature.inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      outputs: signature.outputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      ...about,
    };
    return { parts, signature };
  } finally {
    tf.dispose(made);
  }
}
