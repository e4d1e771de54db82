import * as tf from '@tensorflow/tfjs';

import { BACKEND_NAME } from '../backend.js';
import { readSetting } from '../environment.js';
import { ConvAvgPool2D, ResampleFilter, UpsampleConv2D } from '../kernels/custom_kernel_names.js';
import { conv2dBias, conv2dBiasReference } from './conv.js';
import { avgPool2x, avgPool2xReference, upsample2x, upsample2xReference } from './resample.js';

// Nearest-neighbour 2x upsampling followed by a 3x3 'same' convolution (a residual generator's
// up-block). In the upsampled image every pixel is repeated over a 2x2 block, so along each axis
// an output at an even position 2i reads input rows i-1, i, i (taps 0, 1, 2) and one at an odd
// position 2i+1 reads rows i, i, i+1. Summing the taps that meet the same input row gives a
// stride-2 transposed convolution of the image itself with a 4x4 filter: with one row of
// padding, its taps 0 to 3 are the 3x3 taps {2}, {1, 2}, {0, 1} and {0} summed (kernels/
// ResampleConv2D.ts builds it). Same values up to rounding, with 4 multiply-adds per output value
// and input channel instead of 9 and no upsampled copy.

/**
 * The 4x4 transposed-convolution filter [4, 4, cout, cin] equivalent to a 3x3 filter
 * [3, 3, cin, cout] applied after 2x upsampling; one native kernel each way on onednn.
 */
export function upsampledFilter(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel(ResampleFilter, { filter }, { mode: 'up' }) as tf.Tensor4D;
}

function checkUpsampleConv(x: tf.Tensor, filter: tf.Tensor): void {
  if (x.rank !== 4) throw new Error(`upsampleConv2dBias: x must be a batch of NHWC images (rank 4), got shape [${x.shape}]`);
  if (filter.rank !== 4 || filter.shape[2] !== x.shape[3]) {
    throw new Error(`upsampleConv2dBias: the filter must be [kh, kw, ${x.shape[3]}, cout] for x's ${x.shape[3]} channels, got [${filter.shape}]`);
  }
}

/** conv2d(upsample2x(x), filter, 1, 'same') plus the bias, in plain ops. */
export function upsampleConv2dBiasReference(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  checkUpsampleConv(x, filter);
  return tf.tidy(() => conv2dBiasReference(upsample2xReference(x), filter, bias, 1, 'same'));
}

// GANTRY_RESAMPLE_CONV=0 keeps the resampling and the 3x3 convolution apart on onednn too (the
// native upsample or pool, and the convolution), to compare; read on first use (the addon's
// load checked it)
let subPixelSetting: boolean | undefined;
const subPixel = () => (subPixelSetting ??= readSetting('GANTRY_RESAMPLE_CONV'));

/**
 * Same as upsampleConv2dBiasReference. On onednn a 3x3 filter runs as the 4x4 transposed
 * convolution above, bias included (kernel OnednnUpsampleConv2D); other sizes upsample first.
 */
export function upsampleConv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return upsampleConv2dBiasReference(x, filter, bias);
  checkUpsampleConv(x, filter);
  if (!subPixel() || filter.shape[0] !== 3 || filter.shape[1] !== 3) return conv2dBias(upsample2x(x), filter, bias, 1, 'same');
  return tf.tidy(() => tf.engine().runKernel(UpsampleConv2D, { x, filter: upsampledFilter(filter), bias }) as tf.Tensor4D);
}

// A 3x3 'same' convolution followed by 2x2 average pooling (a residual discriminator's
// down-block). Pooled output i averages the convolution at rows 2i and 2i+1, whose windows read
// input rows 2i-1 to 2i+2: a stride-2 convolution with a 4x4 filter and one row of padding on
// each side, whose taps 0 to 3 along each axis are half the sums of the 3x3 taps {0}, {0, 1},
// {1, 2} and {2} (a quarter in all). 16 multiply-adds per pooled output and input channel
// instead of 36, and the full-size output is never written.

/**
 * The 4x4 stride-2 filter [4, 4, cin, cout] equivalent to a 3x3 filter [3, 3, cin, cout]
 * followed by 2x2 average pooling; one native kernel each way on onednn.
 */
export function pooledFilter(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel(ResampleFilter, { filter }, { mode: 'pool' }) as tf.Tensor4D;
}

function checkConvAvgPool(x: tf.Tensor, filter: tf.Tensor): void {
  if (x.rank !== 4) throw new Error(`convAvgPool2dBias: x must be a batch of NHWC images (rank 4), got shape [${x.shape}]`);
  if (x.shape[1]! % 2 !== 0 || x.shape[2]! % 2 !== 0) throw new Error(`convAvgPool2dBias: height and width must be even, got shape [${x.shape}]`);
  if (filter.rank !== 4 || filter.shape[2] !== x.shape[3]) {
    throw new Error(`convAvgPool2dBias: the filter must be [kh, kw, ${x.shape[3]}, cout] for x's ${x.shape[3]} channels, got [${filter.shape}]`);
  }
}

/** avgPool2x(conv2d(x, filter, 1, 'same') + bias), in plain ops. */
export function convAvgPool2dBiasReference(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  checkConvAvgPool(x, filter);
  return tf.tidy(() => avgPool2xReference(conv2dBiasReference(x, filter, bias, 1, 'same')));
}

/**
 * Same as convAvgPool2dBiasReference. On onednn a 3x3 filter runs as the 4x4 stride-2
 * convolution above, bias included (kernel OnednnConv2DAvgPool); other sizes pool afterwards.
 */
export function convAvgPool2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  if (tf.getBackend() !== BACKEND_NAME || x.dtype !== 'float32') return convAvgPool2dBiasReference(x, filter, bias);
  checkConvAvgPool(x, filter);
  if (!subPixel() || filter.shape[0] !== 3 || filter.shape[1] !== 3) return avgPool2x(conv2dBias(x, filter, bias, 1, 'same'));
  return tf.tidy(() => tf.engine().runKernel(ConvAvgPool2D, { x, filter: pooledFilter(filter), bias }) as tf.Tensor4D);
}
