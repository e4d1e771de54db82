import * as tf from '@tensorflow/tfjs';

import { ActivationCode } from './eltwise_ops.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Conv2DInfo for NHWC attributes; null for layouts the native kernels do not take. */
export function conv2dInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap,
  dilations: number | [number, number] = 1): Conv2DInfo | null {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') return null;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], dilations, attrs.pad as Pad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast');
}

/**
 * The flat geometry native/conv.cc reads, or null if oneDNN's output-size rule
 * (floor division) would not reproduce TF's output size (e.g. 'ceil' rounding).
 */
export function convGeometry(c: Conv2DInfo): Int32Array | null {
  const p = c.padInfo;
  const fits = (size: number, k: number, d: number, s: number, lo: number, hi: number, out: number) =>
    Math.floor((size + lo + hi - ((k - 1) * d + 1)) / s) + 1 === out;
  if (!fits(c.inHeight, c.filterHeight, c.dilationHeight, c.strideHeight, p.top, p.bottom, c.outHeight) ||
      !fits(c.inWidth, c.filterWidth, c.dilationWidth, c.strideWidth, p.left, p.right, c.outWidth)) {
    return null;
  }
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.outHeight, c.outWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    p.top, p.left, p.bottom, p.right,
  ]);
}

/** Activation code for fused kernels; null for prelu and unknown names. */
export function activationCode(name: unknown): number | null {
  const code = ActivationCode[(name as string | undefined) ?? 'linear'];
  return code === undefined ? null : code;
}
