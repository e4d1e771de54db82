import * as tf from '@tensorflow/tfjs';

import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { ConvAvgPool2D, ConvAvgPool2DGradFilter, ConvAvgPool2DGradInput, ResampleFilter, ResampleFilterGrad, UpsampleConv2D, UpsampleConv2DGradFilter, UpsampleConv2DGradInput } from './custom_kernel_names.js';
import { fusedConv2DConfig } from './FusedConv2D.js';
import { BinaryOp } from './eltwise_ops.js';
import { broadcastStrides, customKernel } from './kernel_utils.js';

// A 3x3 'same' convolution of a nearest-neighbour 2x upsampled image, computed on the image
// itself: each output pixel's 3x3 window covers only 2x2 distinct input pixels, so the layer is
// a stride-2 transposed convolution with a 4x4 filter made of sums of the 3x3 taps (see
// fused/resample_conv.ts), 4 multiply-adds per output pixel and input channel instead of 9.
// The kernels run the backend's own convolution kernels under names of their own, so that
// profiles and FLOP counts can tell them from ordinary convolutions.
//
// UpsampleConv2D: x [n, h, w, cin], filter [4, 4, cout, cin], bias [cout] -> [n, 2h, 2w, cout]
// UpsampleConv2DGradInput: dy [n, 2h, 2w, cout], filter -> dx [n, h, w, cin]
// UpsampleConv2DGradFilter: x, dy [n, 2h, 2w, cout] -> dfilter [4, 4, cout, cin]

const geometry: tf.NamedAttrMap = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 };

export const upsampleConv2DConfig = customKernel(UpsampleConv2D, ({ inputs, backend, addon }) => {
  const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo };
  const [n, h, w] = x.shape as [number, number, number, number];
  const y = conv2DBackpropInputConfig.kernelFunc({
    inputs: { dy: x, filter }, backend, attrs: { ...geometry, inputShape: [n, 2 * h, 2 * w, filter.shape[2]!] },
  }) as tf.TensorInfo;
  // the bias, added in place: the output is this kernel's own new buffer
  const values = backend.f32(y);
  addon.binary(BinaryOp.Add, values, backend.f32(bias), values, Int32Array.from(y.shape),
    broadcastStrides(y.shape, y.shape), broadcastStrides(bias.shape, y.shape), 0);
  return y;
});

export const upsampleConv2DGradInputConfig = customKernel(UpsampleConv2DGradInput, ({ inputs, backend }) =>
  conv2DConfig.kernelFunc({ inputs: { x: inputs.dy!, filter: inputs.filter! }, backend, attrs: geometry }) as tf.TensorInfo);

export const upsampleConv2DGradFilterConfig = customKernel(UpsampleConv2DGradFilter, ({ inputs, backend, attrs }) =>
  conv2DBackpropFilterConfig.kernelFunc({
    // the transposed convolution's filter gradient is the forward convolution's with x and dy swapped
    inputs: { x: inputs.dy!, dy: inputs.x! }, backend, attrs: { ...geometry, filterShape: attrs.filterShape as number[] },
  }) as tf.TensorInfo);

/**
 * The gradient of a resample-convolution kernel (inputs x, filter, bias): its input and filter
 * gradients are kernels of their own, computed only when asked for; the bias's is a sum over dy.
 */
function resampleConvGradient(kernelName: string, gradInput: string, gradFilter: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor;
      return {
        x: () => tf.engine().runKernel(gradInput, { dy: g, filter }, { inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel(gradFilter, { x, dy: g }, { filterShape: filter.shape }) as tf.Tensor,
        bias: () => tf.sum(g, [0, 1, 2]),
      };
    },
  };
}

export const upsampleConv2DGradient = resampleConvGradient(UpsampleConv2D, UpsampleConv2DGradInput, UpsampleConv2DGradFilter);

// The mirror image for a discriminator's down-block: a 3x3 'same' convolution followed by 2x2
// average pooling is a stride-2 convolution with a 4x4 filter (each pooled output's four 3x3
// windows cover a 4x4 patch), 16 multiply-adds per pooled output and input channel instead of
// 36, and the full-size output is never written.
//
// ConvAvgPool2D: x [n, h, w, cin], filter [4, 4, cin, cout], bias [cout] -> [n, h/2, w/2, cout]
// ConvAvgPool2DGradInput: dy [n, h/2, w/2, cout], filter -> dx [n, h, w, cin] (attrs.inputShape)
// ConvAvgPool2DGradFilter: x, dy -> dfilter [4, 4, cin, cout]

export const convAvgPool2DConfig = customKernel(ConvAvgPool2D, ({ inputs, backend }) =>
  fusedConv2DConfig.kernelFunc({
    inputs: { x: inputs.x!, filter: inputs.filter!, bias: inputs.bias! }, backend, attrs: { ...geometry, activation: 'linear' },
  }) as tf.TensorInfo);

export const convAvgPool2DGradInputConfig = customKernel(ConvAvgPool2DGradInput, ({ inputs, backend, attrs }) =>
  conv2DBackpropInputConfig.kernelFunc({
    inputs: { dy: inputs.dy!, filter: inputs.filter! }, backend, attrs: { ...geometry, inputShape: attrs.inputShape as number[] },
  }) as tf.TensorInfo);

export const convAvgPool2DGradFilterConfig = customKernel(ConvAvgPool2DGradFilter, ({ inputs, backend, attrs }) =>
  conv2DBackpropFilterConfig.kernelFunc({
    inputs: { x: inputs.x!, dy: inputs.dy! }, backend, attrs: { ...geometry, filterShape: attrs.filterShape as number[] },
  }) as tf.TensorInfo);

export const convAvgPool2DGradient = resampleConvGradient(ConvAvgPool2D, ConvAvgPool2DGradInput, ConvAvgPool2DGradFilter);

// The 4x4 filters of both from a 3x3 filter [3, 3, cin, cout], as one kernel each way: a product
// with a constant 16x9 matrix of tap sums (TAP_SETS below; fused/resample_conv.ts explains them),
// and for the upsampling form the per-tap transpose to [4, 4, cout, cin] that the transposed
// convolution reads.
// ResampleFilter: filter [3, 3, cin, cout] -> [4, 4, cout, cin] (attrs.mode 'up') or
// [4, 4, cin, cout] ('pool'); ResampleFilterGrad: the 4x4 filter's gradient -> [3, 3, cin, cout].

/** Along each axis, the 3x3 taps that sum into each 4x4 tap, and the weight of each. */
const TAP_SETS = {
  up: { taps: [[2], [1, 2], [0, 1], [0]], weight: 1 },
  pool: { taps: [[0], [0, 1], [1, 2], [2]], weight: 0.25 },
} as const;
type ResampleMode = keyof typeof TAP_SETS;

/** The 16x9 matrix whose row 4*ky+kx sums (and weighs) the 3x3 taps that make 4x4 tap (ky, kx). */
function tapSumMatrix(mode: ResampleMode): Float32Array {
  const { taps, weight } = TAP_SETS[mode];
  const m = new Float32Array(16 * 9);
  for (let ky = 0; ky < 4; ky++) {
    for (let kx = 0; kx < 4; kx++) {
      for (const dy of taps[ky]!) for (const dx of taps[kx]!) m[(4 * ky + kx) * 9 + 3 * dy + dx] = weight;
    }
  }
  return m;
}
const tapSums = { up: tapSumMatrix('up'), pool: tapSumMatrix('pool') };

function modeOf(attrs: tf.NamedAttrMap): ResampleMode {
  const mode = attrs.mode as string;
  if (mode !== 'up' && mode !== 'pool') throw new Error(`${ResampleFilter}: mode must be 'up' or 'pool', got '${mode}'`);
  return mode;
}

export const resampleFilterConfig = customKernel(ResampleFilter, ({ inputs, backend, attrs, addon }) => {
  const filter = inputs.filter!;
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  if (kh !== 3 || kw !== 3) throw new Error(`${ResampleFilter}: the filter must be 3x3, got [${filter.shape}]`);
  const mode = modeOf(attrs);
  const taps = cin * cout;
  const dims = Int32Array.from([1, 1, 16, taps, 9, 0, 0]);
  if (mode === 'pool') {
    const out = backend.output([4, 4, cin, cout]);
    addon.matmul(tapSums.pool, backend.f32(filter), out.values, dims, null, 0, 0);
    return out.info;
  }
  const swapped = backend.output([9, cout, cin]);
  addon.transpose(backend.f32(filter), Int32Array.from([9, cin, cout]), Int32Array.from([0, 2, 1]), swapped.values);
  const out = backend.output([4, 4, cout, cin]);
  addon.matmul(tapSums.up, swapped.values, out.values, dims, null, 0, 0);
  backend.disposeData(swapped.info.dataId);
  return out.info;
});

export const resampleFilterGradConfig = customKernel(ResampleFilterGrad, ({ inputs, backend, attrs, addon }) => {
  const dy = inputs.dy!;
  const mode = modeOf(attrs);
  const [a, b] = [dy.shape[2]!, dy.shape[3]!]; // up: cout, cin; pool: cin, cout
  // the 16x9 matrix transposed: 9 outputs per column of the 4x4 filter's gradient
  const dims = Int32Array.from([1, 1, 9, a * b, 16, 1, 0]);
  if (mode === 'pool') {
    const out = backend.output([3, 3, a, b]);
    addon.matmul(tapSums.pool, backend.f32(dy), out.values, dims, null, 0, 0);
    return out.info;
  }
  const swapped = backend.output([9, a, b]);
  addon.matmul(tapSums.up, backend.f32(dy), swapped.values, dims, null, 0, 0);
  const out = backend.output([3, 3, b, a]);
  addon.transpose(swapped.values, Int32Array.from([9, a, b]), Int32Array.from([0, 2, 1]), out.values);
  backend.disposeData(swapped.info.dataId);
  return out.info;
});

export const resampleFilterGradient: tf.GradConfig = {
  kernelName: ResampleFilter,
  gradFunc: (dy, _saved, attrs) => ({
    filter: () => tf.engine().runKernel(ResampleFilterGrad, { dy: dy as tf.Tensor }, { mode: attrs.mode as string }) as tf.Tensor,
  }),
};
