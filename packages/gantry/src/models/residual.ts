import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';
import { addBatchNormParams, applyBatchNorm, defaultBatchNormEpsilon, defaultBatchNormMomentum, type BatchNormParams } from './batchNorm.js';
import { convKernel, type AddParam } from './initializers.js';
import { nnOps, type ConvActivation, type NnOps } from './nnOps.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * Residual blocks for 32x32 images and up (the SNGAN / BigGAN family), and the resampling
 * layers they use. Every convolution is 'same' with a bias; shortcuts are learned 1x1 convolutions.
 *
 * - resBlockUp (G): BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, plus upsample-conv1x1;
 *   [h, w, c] -> [2h, 2w, filters].
 * - resBlockDown (D): ReLU-conv3x3-ReLU-conv3x3-avgPool, plus conv1x1-avgPool;
 *   [h, w, c] -> [h/2, w/2, filters]. `preactivation: false` drops the first ReLU (D's first block,
 *   which sees the image itself).
 * - upsample: nearest neighbour x2; avgPool: 2x2 average, stride 2; globalSumPool: sum over h and w.
 */
export type ResidualLayerSpec =
  | { kind: 'resBlockUp'; filters: number; momentum?: number; epsilon?: number; spectralNorm?: boolean }
  | { kind: 'resBlockDown'; filters: number; preactivation?: boolean; spectralNorm?: boolean }
  | { kind: 'upsample' }
  | { kind: 'avgPool' }
  | { kind: 'globalSumPool' };

type Params = Record<string, tf.Variable>;
type Opts = { training: boolean; updateStats?: boolean; ops?: NnOps };

export function residualOutputShape(s: ResidualLayerSpec, shape: number[]): number[] {
  if (shape.length !== 3) {
    throw new Error(`layer ${s.kind} needs an image [height, width, channels] per example, got [${shape.join(', ')}]`);
  }
  const [h, w, c] = shape;
  const halve = () => {
    if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`layer ${s.kind} halves height and width, which must be even, got [${shape.join(', ')}]`);
    return [h / 2, w / 2];
  };
  switch (s.kind) {
    case 'resBlockUp':
      return [2 * h, 2 * w, s.filters];
    case 'resBlockDown':
      return [...halve(), s.filters];
    case 'upsample':
      return [2 * h, 2 * w, c];
    case 'avgPool':
      return [...halve(), c];
    case 'globalSumPool':
      return [c];
  }
}

/**
 * Variables, in order. resBlockUp: `bn1/{gamma,beta,movingMean,movingVariance}`,
 * `conv1/{kernel,bias}`, `bn2/...`, `conv2/{kernel,bias}`, `shortcut/{kernel,bias}`.
 * resBlockDown: `conv1/...`, `conv2/...`, `shortcut/...`. With spectralNorm, `<conv>/sn_u` for each conv.
 */
export function addResidualParams(s: ResidualLayerSpec, inShape: number[], add: AddParam, rng: Rng, snRng: Rng): void {
  if (s.kind !== 'resBlockUp' && s.kind !== 'resBlockDown') return;
  const inC = inShape[2];
  const f = s.filters;
  const conv = (name: string, k: number, cin: number) => {
    add(`${name}/kernel`, convKernel(rng, k, cin, f), [k, k, cin, f], true);
    add(`${name}/bias`, new Float32Array(f), [f], true);
  };
  if (s.kind === 'resBlockUp') {
    addBatchNormParams(add, 'bn1/', inC);
    conv('conv1', 3, inC);
    addBatchNormParams(add, 'bn2/', f);
    conv('conv2', 3, f);
    conv('shortcut', 1, inC);
  } else {
    conv('conv1', 3, inC);
    conv('conv2', 3, f);
    conv('shortcut', 1, inC);
  }
  if (s.spectralNorm) {
    addSpectralVector(add, 'conv1/sn_u', [3, 3, inC, f], snRng);
    addSpectralVector(add, 'conv2/sn_u', [3, 3, f, f], snRng);
    addSpectralVector(add, 'shortcut/sn_u', [1, 1, inC, f], snRng);
  }
}

export function applyResidual(s: ResidualLayerSpec, x: tf.Tensor, p: Params, opts: Opts): tf.Tensor {
  const x4 = x as tf.Tensor4D;
  const ops = opts.ops ?? nnOps();
  const kernel = (name: string) => effectiveKernel(p[`${name}/kernel`], p[`${name}/sn_u`], opts) as tf.Tensor4D;
  const conv = (name: string, h: tf.Tensor4D, activation?: ConvActivation) =>
    ops.conv2dBias(h, kernel(name), p[`${name}/bias`], 1, 'same', activation);
  // batchnorm, then relu, as one op
  const bnRelu = (name: string, h: tf.Tensor4D) => {
    const params: BatchNormParams = {
      gamma: p[`${name}/gamma`],
      beta: p[`${name}/beta`],
      movingMean: p[`${name}/movingMean`],
      movingVariance: p[`${name}/movingVariance`],
    };
    const spec = s as { momentum?: number; epsilon?: number };
    return applyBatchNorm(h, params, spec.momentum ?? defaultBatchNormMomentum, spec.epsilon ?? defaultBatchNormEpsilon, opts, { kind: 'relu' }) as tf.Tensor4D;
  };
  const relu = (h: tf.Tensor4D) => ops.relu(h) as tf.Tensor4D;
  switch (s.kind) {
    case 'resBlockUp': {
      // upsample, then conv1 (one op: the fast form convolves the small image, see NnOps)
      let h = ops.upsampleConv2dBias(bnRelu('bn1', x4), kernel('conv1'), p['conv1/bias']!); // [b, 2h, 2w, filters]
      h = conv('conv2', bnRelu('bn2', h)); // [b, 2h, 2w, filters]
      // conv1x1 then upsample equals upsample then conv1x1 (both act per pixel), at a quarter of the cost
      return tf.add(h, ops.upsample2x(conv('shortcut', x4)));
    }
    case 'resBlockDown': {
      let h = s.preactivation === false ? x4 : relu(x4);
      // conv2, then the pooling (one op: the fast form computes only the pooled values, see NnOps)
      h = ops.convAvgPool2dBias(conv('conv1', h, { kind: 'relu' }), kernel('conv2'), p['conv2/bias']!); // [b, h/2, w/2, filters]
      // avgPool then conv1x1 equals conv1x1 then avgPool (both linear, one per pixel), at a quarter of the cost
      return tf.add(h, conv('shortcut', ops.avgPool2x(x4)));
    }
    case 'upsample':
      return ops.upsample2x(x4);
    case 'avgPool':
      return ops.avgPool2x(x4);
    case 'globalSumPool':
      return tf.sum(x4, [1, 2]);
  }
}
