import * as tf from '@tensorflow/tfjs';
import * as keras from './kerasLayers.js';
import { requireRank, type LayerDefinitions } from './layerDefinition.js';
import { nnOps } from './nnOps.js';
import * as onnx from './onnxLayers.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * The weight layers: dense, convolution and transposed convolution, with an optional bias and,
 * with `spectralNorm: true`, their kernel divided by its largest singular value (spectralNorm.ts).
 * Kernels are drawn by the network's initializer (Glorot-uniform with Keras' fans unless the config
 * says `init`); biases start at zero.
 */
export type WeightLayerSpec =
  | { kind: 'dense'; units: number; bias?: boolean; spectralNorm?: boolean }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean; spectralNorm?: boolean }
  | { kind: 'conv2dTranspose'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean; spectralNorm?: boolean };

function convOut(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function convTransposeOut(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? size * stride : (size - 1) * stride + kernel;
}

export const weightLayers: LayerDefinitions<WeightLayerSpec> = {
  dense: {
    keys: { units: true, bias: true, spectralNorm: true },
    outputShape: (s, shape) => {
      requireRank(s.kind, shape, 1);
      return [s.units];
    },
    params: (s, shape, add, draws, snRng) => {
      const fanIn = shape[0];
      add('kernel', draws.kernel(fanIn, s.units, fanIn * s.units), [fanIn, s.units], true);
      if (s.bias !== false) add('bias', new Float32Array(s.units), [s.units], true);
      if (s.spectralNorm) addSpectralVector(add, 'sn_u', [fanIn, s.units], snRng);
    },
    apply: (_s, x, p, { opts }) => {
      const y = tf.matMul(x as tf.Tensor2D, effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor2D);
      return p.bias ? tf.add(y, p.bias) : y;
    },
    keras: {
      build: (s, ctx) => {
        const useBias = s.bias !== false;
        const layer = tf.layers.dense({ units: s.units, useBias, kernelInitializer: keras.zeros, name: ctx.name() });
        return ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
      },
    },
    onnx: {
      build: (s, ctx) => {
        const kernel = onnx.floats(ctx, ctx.name('kernel'), ctx.kernel('kernel', 'sn_u'));
        const inputs = [ctx.x, kernel, ...(s.bias !== false ? [onnx.floats(ctx, ctx.name('bias'), ctx.param('bias'))] : [])];
        return ctx.graph.node('Gemm', inputs, ctx.name());
      },
    },
    example: { input: [5], spec: { kind: 'dense', units: 3, spectralNorm: true } },
  },

  conv2d: {
    keys: { filters: true, kernel: true, stride: true, padding: true, bias: true, spectralNorm: true },
    outputShape: (s, shape) => {
      requireRank(s.kind, shape, 3);
      return [convOut(shape[0], s.kernel, s.stride, s.padding), convOut(shape[1], s.kernel, s.stride, s.padding), s.filters];
    },
    params: (s, shape, add, draws, snRng) => {
      const inC = shape[2];
      const k = s.kernel;
      add('kernel', draws.convKernel(k, inC, s.filters), [k, k, inC, s.filters], true);
      if (s.bias !== false) add('bias', new Float32Array(s.filters), [s.filters], true);
      if (s.spectralNorm) addSpectralVector(add, 'sn_u', [k, k, inC, s.filters], snRng);
    },
    apply: (s, x, p, { opts, activation }) => {
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor4D;
      if (p.bias) return (opts.ops ?? nnOps()).conv2dBias(x as tf.Tensor4D, kernel, p.bias, s.stride, s.padding, activation);
      return tf.conv2d(x as tf.Tensor4D, kernel, s.stride, s.padding);
    },
    // the fused op is conv2dBias: a convolution without a bias runs its activation on its own
    takesActivation: (s) => s.bias !== false,
    keras: {
      build: (s, ctx) => {
        const useBias = s.bias !== false;
        const layer = tf.layers.conv2d({ filters: s.filters, kernelSize: s.kernel, strides: s.stride, padding: s.padding, useBias, kernelInitializer: keras.zeros, name: ctx.name() });
        return ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
      },
    },
    onnx: {
      build: (s, ctx) => onnx.conv(ctx, ctx.x, ctx.inShape, s, ctx.kernel('kernel', 'sn_u'), s.bias !== false ? ctx.param('bias') : null, ctx.name()),
    },
    example: { input: [6, 6, 2], spec: { kind: 'conv2d', filters: 3, kernel: 3, stride: 2, padding: 'same' } },
  },

  conv2dTranspose: {
    keys: { filters: true, kernel: true, stride: true, padding: true, bias: true, spectralNorm: true },
    outputShape: (s, shape) => {
      requireRank(s.kind, shape, 3);
      return [convTransposeOut(shape[0], s.kernel, s.stride, s.padding), convTransposeOut(shape[1], s.kernel, s.stride, s.padding), s.filters];
    },
    params: (s, shape, add, draws, snRng) => {
      const inC = shape[2];
      const k = s.kernel;
      // Keras computes the transpose kernel's fans from its [k, k, out, in] shape
      const fanIn = k * k * s.filters;
      const fanOut = k * k * inC;
      add('kernel', draws.kernel(fanIn, fanOut, k * k * inC * s.filters), [k, k, s.filters, inC], true);
      if (s.bias !== false) add('bias', new Float32Array(s.filters), [s.filters], true);
      if (s.spectralNorm) addSpectralVector(add, 'sn_u', [k, k, s.filters, inC], snRng);
    },
    apply: (s, x, p, { opts, outShape: out }) => {
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor4D;
      const y = tf.conv2dTranspose(x as tf.Tensor4D, kernel, [x.shape[0], out[0], out[1], out[2]], s.stride, s.padding);
      return p.bias ? tf.add(y, p.bias) : y;
    },
    keras: {
      build: (s, ctx) => {
        const useBias = s.bias !== false;
        const layer = tf.layers.conv2dTranspose({ filters: s.filters, kernelSize: s.kernel, strides: s.stride, padding: s.padding, useBias, kernelInitializer: keras.zeros, name: ctx.name() });
        const y = ctx.apply(layer, ctx.x, [ctx.kernel('kernel', 'sn_u'), ...(useBias ? [ctx.param('bias')] : [])]);
        // Keras makes a 'valid' transposed conv with kernel < stride (size * stride) long; Gantry
        // ((size - 1) * stride + kernel). The extra rows and columns at the end get no input: crop them.
        const extra = s.padding === 'valid' ? Math.max(s.stride - s.kernel, 0) : 0;
        if (extra === 0) return y;
        return ctx.apply(tf.layers.cropping2D({ cropping: [[0, extra], [0, extra]], name: ctx.name('crop') }), y);
      },
    },
    onnx: {
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
        const inputs = [ctx.x, onnx.oihw(ctx, `${name}/kernel`, ctx.kernel('kernel', 'sn_u')), ...(s.bias !== false ? [onnx.floats(ctx, `${name}/bias`, ctx.param('bias'))] : [])];
        return ctx.graph.node('ConvTranspose', inputs, name, {
          kernel_shape: { ints: [s.kernel, s.kernel] },
          strides: { ints: [s.stride, s.stride] },
          pads: { ints: [gh.before, gw.before, gh.after, gw.after] },
          output_padding: { ints: [gh.extra, gw.extra] },
        });
      },
    },
    example: { input: [3, 3, 2], spec: { kind: 'conv2dTranspose', filters: 2, kernel: 3, stride: 2, padding: 'same' } },
  },
};
