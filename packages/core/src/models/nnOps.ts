import * as tf from '@tensorflow/tfjs';
import { spectralNormalize } from './spectralNorm.js';

/**
 * The few layer operations that have a fast fused form on the native backend. The
 * reference forms below are plain TF.js ops; they run on every backend and support
 * gradients of gradients. A backend may install faster ones with the same signatures.
 */
/** An activation a convolution or a batchnorm can apply to its own output. */
export type ConvActivation = { kind: 'relu' } | { kind: 'leakyRelu'; alpha: number };

export interface NnOps {
  readonly name: string;
  /**
   * Batch statistics over every axis but the last (channels-last), biased variance; y goes
   * through the activation if one is given (the fast form writes it in one pass).
   */
  batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, activation?: ConvActivation): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
  relu(x: tf.Tensor): tf.Tensor;
  leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor;
  /**
   * A 'same' or 'valid' convolution plus a bias per output channel, then the activation if one
   * is given (the fast form writes the activated output in one pass).
   */
  conv2dBias(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor, stride: number, padding: 'same' | 'valid', activation?: ConvActivation): tf.Tensor4D;
  /**
   * Nearest-neighbour 2x upsampling, then a stride-1 'same' convolution plus a bias per output
   * channel (a residual up-block's first convolution). The fast form computes a 3x3 one on the
   * image itself, without the upsampled copy and with 4 instead of 9 multiply-adds per tap.
   */
  upsampleConv2dBias(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D;
  /**
   * A stride-1 'same' convolution plus a bias per output channel, then 2x2 average pooling (a
   * residual down-block's second convolution). The fast form computes a 3x3 one as a 4x4
   * stride-2 convolution, without the full-size output and with 16 instead of 36 multiply-adds
   * per pooled value.
   */
  convAvgPool2dBias(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D;
  /** Nearest-neighbour 2x upsampling, NHWC. */
  upsample2x(x: tf.Tensor4D): tf.Tensor4D;
  /** 2x2 average pooling with stride 2, NHWC. */
  avgPool2x(x: tf.Tensor4D): tf.Tensor4D;
  /**
   * Image b shifted by (shifts[2b], shifts[2b + 1]) rows and columns: out[b, i, j] =
   * x[b, i + di, j + dj], zero where that lies outside the image.
   */
  translate(x: tf.Tensor4D, shifts: Int32Array): tf.Tensor4D;
  /**
   * Image b with rows [boxes[4b], boxes[4b + 1]) and columns [boxes[4b + 2], boxes[4b + 3])
   * multiplied by zero, the box clipped to the image (an empty box keeps the image).
   */
  cutout(x: tf.Tensor4D, boxes: Int32Array): tf.Tensor4D;
  /** One power iteration of spectral normalization from u: the kernel divided by sigma, sigma, the next u. */
  spectralNormalize(kernel: tf.Tensor, u: tf.Tensor): { kernel: tf.Tensor; sigma: tf.Scalar; u: tf.Tensor2D };
}

// Both resampling references as reshapes with a broadcasting add or a mean: their gradients are
// then a sum and a broadcast, differentiable again (TF.js' AvgPoolGrad and
// ResizeNearestNeighborGrad are not, and were slow on the cpu backend).
function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  // adding zeros broadcasts each pixel to a 2x2 block (BroadcastTo has no rank-6 gradient)
  return tf.reshape(tf.add(tf.reshape(x, [b, h, 1, w, 1, c]), tf.zeros([1, 1, 2, 1, 2, 1])), [b, 2 * h, 2 * w, c]);
}

function averagePool2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D;
}

// A gather from the zero-padded images: differentiable to any order on every backend.
function translateByGather(x: tf.Tensor4D, shifts: Int32Array): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  let sh = 0;
  let sw = 0;
  for (let n = 0; n < b; n++) {
    sh = Math.max(sh, Math.abs(shifts[2 * n]!));
    sw = Math.max(sw, Math.abs(shifts[2 * n + 1]!));
  }
  const hp = h + 2 * sh;
  const wp = w + 2 * sw;
  const padded = tf.reshape(tf.pad(x, [[0, 0], [sh, sh], [sw, sw], [0, 0]]), [b * hp * wp, c]);
  const index = new Int32Array(b * h * w);
  for (let n = 0; n < b; n++) {
    const di = shifts[2 * n]!;
    const dj = shifts[2 * n + 1]!;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) index[(n * h + i) * w + j] = (n * hp + i + sh + di) * wp + (j + sw + dj);
    }
  }
  return tf.reshape(tf.gather(padded, tf.tensor1d(index, 'int32')), [b, h, w, c]) as tf.Tensor4D;
}

// The product with a mask of ones and zeros: differentiable to any order on every backend.
function cutoutByMask(x: tf.Tensor4D, boxes: Int32Array): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const mask = new Float32Array(b * h * w).fill(1);
  for (let n = 0; n < b; n++) {
    const top = Math.max(0, boxes[4 * n]!);
    const bottom = Math.min(h, boxes[4 * n + 1]!);
    const left = Math.max(0, boxes[4 * n + 2]!);
    const right = Math.min(w, boxes[4 * n + 3]!);
    if (right <= left) continue;
    for (let i = top; i < bottom; i++) mask.fill(0, (n * h + i) * w + left, (n * h + i) * w + right);
  }
  return tf.mul(x, tf.tensor4d(mask, [b, h, w, 1]));
}

/** The reference relu or leaky relu of y; y itself without an activation. */
function activate(y: tf.Tensor, activation: ConvActivation | undefined): tf.Tensor {
  if (!activation) return y;
  return activation.kind === 'relu' ? referenceNnOps.relu(y) : referenceNnOps.leakyRelu(y, activation.alpha);
}

/** A convolution plus a bias per output channel, in plain ops. */
function convPlusBias(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor, stride: number, padding: 'same' | 'valid'): tf.Tensor4D {
  return tf.add(tf.conv2d(x, kernel, stride, padding), bias) as tf.Tensor4D;
}

export const referenceNnOps: NnOps = {
  name: 'reference',
  batchNormTraining(x, gamma, beta, epsilon, activation) {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
    return { y: activate(y, activation), mean, variance };
  },
  relu: (x) => tf.relu(x),
  // relu(x) - a*relu(-x) rather than tf.leakyRelu: its gradient is differentiable again
  leakyRelu: (x, alpha) => tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x)))),
  conv2dBias: (x, kernel, bias, stride, padding, activation) => activate(convPlusBias(x, kernel, bias, stride, padding), activation) as tf.Tensor4D,
  upsampleConv2dBias: (x, kernel, bias) => convPlusBias(upsampleNearest2x(x), kernel, bias, 1, 'same'),
  convAvgPool2dBias: (x, kernel, bias) => averagePool2x(convPlusBias(x, kernel, bias, 1, 'same')),
  upsample2x: upsampleNearest2x,
  avgPool2x: averagePool2x,
  translate: translateByGather,
  cutout: cutoutByMask,
  spectralNormalize: (kernel, u) => spectralNormalize(kernel, u),
};

let active: NnOps = referenceNnOps;

export function nnOps(): NnOps {
  return active;
}

/** Install the ops the models use; returns the previous set. */
export function setNnOps(ops: NnOps): NnOps {
  const previous = active;
  active = ops;
  return previous;
}
