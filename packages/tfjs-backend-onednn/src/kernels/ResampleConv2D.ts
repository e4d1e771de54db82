import * as tf from '@tensorflow/tfjs';

import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { ConvAvgPool2D, ConvAvgPool2DGradFilter, ConvAvgPool2DGradInput, UpsampleConv2D, UpsampleConv2DGradFilter, UpsampleConv2DGradInput } from './custom_kernel_names.js';
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
// UpsampleConv2DGradFilter: dy [n, 2h, 2w, cout], x -> dfilter [4, 4, cout, cin]

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
    inputs: { x: inputs.dy!, dy: inputs.x! }, backend, attrs: { ...geometry, filterShape: attrs.filterShape as number[] },
  }) as tf.TensorInfo);

export const upsampleConv2DGradient: tf.GradConfig = {
  kernelName: UpsampleConv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    return {
      x: () => tf.engine().runKernel(UpsampleConv2DGradInput, { dy: dy as tf.Tensor, filter }) as tf.Tensor,
      filter: () => tf.engine().runKernel(UpsampleConv2DGradFilter, { dy: dy as tf.Tensor, x }, { filterShape: filter.shape }) as tf.Tensor,
      bias: () => tf.sum(dy as tf.Tensor, [0, 1, 2]),
    };
  },
};

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

export const convAvgPool2DGradient: tf.GradConfig = {
  kernelName: ConvAvgPool2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = dy as tf.Tensor;
    return {
      x: () => tf.engine().runKernel(ConvAvgPool2DGradInput, { dy: g, filter }, { inputShape: x.shape }) as tf.Tensor,
      filter: () => tf.engine().runKernel(ConvAvgPool2DGradFilter, { x, dy: g }, { filterShape: filter.shape }) as tf.Tensor,
      bias: () => tf.sum(g, [0, 1, 2]),
    };
  },
};
