import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { addBatchNormParams, applyBatchNorm, defaultBatchNormEpsilon, defaultBatchNormMomentum, type BatchNormParams } from './batchNorm.js';
import { addConditioningParams, applyConditioning, conditioningOutputShape, needsLabels, type ConditioningLayerSpec } from './conditioning.js';
import { convKernel, glorotUniform } from './initializers.js';
import { nnOps, type ConvActivation, type NnOps } from './nnOps.js';
import { addResidualParams, applyResidual, residualOutputShape, type ResidualLayerSpec } from './residual.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * Networks are declared as data: an input shape and a list of layers. One builder turns a
 * declaration into variables (seeded) and a forward function. Tensors are NHWC.
 */
export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'linear';

/** Weight layers take `spectralNorm: true` to use their kernel divided by its largest singular value (spectralNorm.ts). */
export type LayerSpec =
  | { kind: 'dense'; units: number; bias?: boolean; spectralNorm?: boolean }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean; spectralNorm?: boolean }
  | { kind: 'conv2dTranspose'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean; spectralNorm?: boolean }
  | { kind: 'batchNorm'; momentum?: number; epsilon?: number }
  | { kind: 'relu' }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'sigmoid' }
  | { kind: 'tanh' }
  | { kind: 'reshape'; shape: number[] }
  | { kind: 'flatten' }
  | ConditioningLayerSpec
  | ResidualLayerSpec;

export interface ApplyOptions {
  /** Batchnorm uses batch statistics; spectral norm runs its power iteration. */
  training: boolean;
  /** With `training`: move batchnorm's running statistics and store spectral norm's u. */
  updateStats?: boolean;
  /** Class indices in [0, classes), int32 [batch]; needed by labelConcat and projection. */
  labels?: tf.Tensor;
  /**
   * The layer ops to use; default: the installed set (`nnOps()`, fused on the native
   * backend). A gradient of a gradient needs `referenceNnOps`.
   */
  ops?: NnOps;
}

export interface NetworkSpec {
  /** Shape of one example, without the batch axis. */
  input: number[];
  layers: LayerSpec[];
}

/** One named parameter; `name` is stable across runs and is what checkpoints store. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

interface BuiltLayer {
  spec: LayerSpec;
  inShape: number[];
  outShape: number[];
  params: Record<string, tf.Variable>;
}

/**
 * Whether a layer's output for one example depends on the other examples of the batch
 * (batchnorm with batch statistics, and the residual up-block that contains it). A network
 * without such a layer gives the same per-example outputs for two batches run one after the
 * other or concatenated into one call.
 */
export function couplesBatch(spec: NetworkSpec): boolean {
  return spec.layers.some((l) => l.kind === 'batchNorm' || l.kind === 'resBlockUp');
}

export class Network {
  readonly trainable: NamedVariable[] = [];
  /** Non-trainable state (batchnorm moving statistics, spectral norm's vectors `sn_u`). */
  readonly state: NamedVariable[] = [];
  readonly outputShape: number[];
  /** True when some layer reads class labels in `apply` (labelConcat, projection). */
  readonly conditional: boolean;
  private readonly layers: BuiltLayer[] = [];

  constructor(readonly name: string, readonly spec: NetworkSpec, seed: number, stream: number) {
    const rng = new Rng(seed, stream, 0);
    let shape = spec.input.slice();
    spec.layers.forEach((layer, i) => {
      const outShape = layerOutputShape(layer, shape);
      const params: Record<string, tf.Variable> = {};
      const prefix = `${name}/${i}_${layer.kind}`;
      const add = (key: string, values: Float32Array, paramShape: number[], trainable: boolean) => {
        const v = tf.tidy(() => tf.variable(tf.tensor(values, paramShape), trainable));
        params[key] = v;
        (trainable ? this.trainable : this.state).push({ name: `${prefix}/${key}`, variable: v });
        return v;
      };
      // Spectral norm's vectors come from their own stream, so that turning it on leaves every weight as it was.
      const snRng = new Rng(seed, stream, 1 + i);
      switch (layer.kind) {
        case 'dense': {
          const fanIn = shape[0];
          add('kernel', glorotUniform(rng, fanIn, layer.units, fanIn * layer.units), [fanIn, layer.units], true);
          if (layer.bias !== false) add('bias', new Float32Array(layer.units), [layer.units], true);
          if (layer.spectralNorm) addSpectralVector(add, 'sn_u', [fanIn, layer.units], snRng);
          break;
        }
        case 'conv2d': {
          const inC = shape[2];
          const k = layer.kernel;
          add('kernel', convKernel(rng, k, inC, layer.filters), [k, k, inC, layer.filters], true);
          if (layer.bias !== false) add('bias', new Float32Array(layer.filters), [layer.filters], true);
          if (layer.spectralNorm) addSpectralVector(add, 'sn_u', [k, k, inC, layer.filters], snRng);
          break;
        }
        case 'conv2dTranspose': {
          const inC = shape[2];
          const k = layer.kernel;
          // Keras computes the transpose kernel's fans from its [k, k, out, in] shape
          const fanIn = k * k * layer.filters;
          const fanOut = k * k * inC;
          add('kernel', glorotUniform(rng, fanIn, fanOut, k * k * inC * layer.filters), [k, k, layer.filters, inC], true);
          if (layer.bias !== false) add('bias', new Float32Array(layer.filters), [layer.filters], true);
          if (layer.spectralNorm) addSpectralVector(add, 'sn_u', [k, k, layer.filters, inC], snRng);
          break;
        }
        case 'batchNorm':
          addBatchNormParams(add, '', shape[shape.length - 1]);
          break;
        case 'labelConcat':
        case 'projection':
        case 'auxClassifier':
          addConditioningParams(layer, shape, add, rng, snRng);
          break;
        case 'resBlockUp':
        case 'resBlockDown':
          addResidualParams(layer, shape, add, rng, snRng);
          break;
        default:
          break;
      }
      this.layers.push({ spec: layer, inShape: shape, outShape, params });
      shape = outShape;
    });
    this.outputShape = shape;
    this.conditional = spec.layers.some(needsLabels);
  }

  /**
   * Forward pass on a batch. In training mode batchnorm uses the batch's statistics and,
   * when `updateStats` is set, moves its running averages towards them.
   */
  apply(x: tf.Tensor, opts: ApplyOptions): tf.Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      // a convolution or batchnorm and the activation after it run as one op (the same values)
      const activation = fusableActivation(layer, this.layers[i + 1]);
      h = this.applyLayer(layer, h, opts, i, activation ?? undefined);
      if (activation) i++;
    }
    return h;
  }

  /** One layer; `activation` (only for conv2d with a bias, and batchNorm) is applied to its output. */
  private applyLayer(layer: BuiltLayer, x: tf.Tensor, opts: ApplyOptions, index: number, activation?: ConvActivation): tf.Tensor {
    const s = layer.spec;
    const p = layer.params;
    const batch = x.shape[0];
    switch (s.kind) {
      case 'dense': {
        const y = tf.matMul(x as tf.Tensor2D, effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor2D);
        return p.bias ? tf.add(y, p.bias) : y;
      }
      case 'conv2d': {
        const kernel = effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor4D;
        if (p.bias) return (opts.ops ?? nnOps()).conv2dBias(x as tf.Tensor4D, kernel, p.bias, s.stride, s.padding, activation);
        return tf.conv2d(x as tf.Tensor4D, kernel, s.stride, s.padding);
      }
      case 'conv2dTranspose': {
        const out = layer.outShape;
        const kernel = effectiveKernel(p.kernel, p.sn_u, opts) as tf.Tensor4D;
        const y = tf.conv2dTranspose(x as tf.Tensor4D, kernel, [batch, out[0], out[1], out[2]], s.stride, s.padding);
        return p.bias ? tf.add(y, p.bias) : y;
      }
      case 'batchNorm':
        return applyBatchNorm(x, p as unknown as BatchNormParams, s.momentum ?? defaultBatchNormMomentum, s.epsilon ?? defaultBatchNormEpsilon, opts, activation);
      case 'relu':
        return (opts.ops ?? nnOps()).relu(x);
      case 'leakyRelu':
        return (opts.ops ?? nnOps()).leakyRelu(x, s.alpha);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'tanh':
        return tf.tanh(x);
      case 'reshape':
        return tf.reshape(x, [batch, ...s.shape]);
      case 'flatten':
        return tf.reshape(x, [batch, -1]);
      case 'labelConcat':
      case 'projection':
      case 'auxClassifier':
        return applyConditioning(s, x, p, opts, `${this.name} layer ${index} (${s.kind})`);
      case 'resBlockUp':
      case 'resBlockDown':
      case 'upsample':
      case 'avgPool':
      case 'globalSumPool':
        return applyResidual(s, x, p, opts);
    }
  }

  /** Every variable, trainable first, in declaration order: what a checkpoint holds. */
  allVariables(): NamedVariable[] {
    return [...this.trainable, ...this.state];
  }

  parameterCount(): number {
    return this.trainable.reduce((n, v) => n + v.variable.size, 0);
  }

  dispose(): void {
    for (const v of this.allVariables()) v.variable.dispose();
  }
}

/** The activation to fuse into `layer`, a convolution with a bias or a batchnorm, when `next` is a relu or leaky relu. */
function fusableActivation(layer: BuiltLayer, next: BuiltLayer | undefined): ConvActivation | null {
  const fusable = (layer.spec.kind === 'conv2d' && layer.params.bias !== undefined) || layer.spec.kind === 'batchNorm';
  if (!fusable || !next) return null;
  if (next.spec.kind === 'relu') return { kind: 'relu' };
  if (next.spec.kind === 'leakyRelu') return { kind: 'leakyRelu', alpha: next.spec.alpha };
  return null;
}

function convOut(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function convTransposeOut(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? size * stride : (size - 1) * stride + kernel;
}

/** Shape inference; throws on a declaration that cannot fit the incoming shape. */
export function layerOutputShape(layer: LayerSpec, shape: number[]): number[] {
  const need = (rank: number) => {
    if (shape.length !== rank) {
      throw new Error(`layer ${layer.kind} needs rank-${rank} input per example, got [${shape.join(', ')}]`);
    }
  };
  switch (layer.kind) {
    case 'dense':
      need(1);
      return [layer.units];
    case 'conv2d':
      need(3);
      return [convOut(shape[0], layer.kernel, layer.stride, layer.padding), convOut(shape[1], layer.kernel, layer.stride, layer.padding), layer.filters];
    case 'conv2dTranspose':
      need(3);
      return [convTransposeOut(shape[0], layer.kernel, layer.stride, layer.padding), convTransposeOut(shape[1], layer.kernel, layer.stride, layer.padding), layer.filters];
    case 'reshape': {
      const n = shape.reduce((a, b) => a * b, 1);
      const m = layer.shape.reduce((a, b) => a * b, 1);
      if (n !== m) throw new Error(`reshape from [${shape.join(', ')}] to [${layer.shape.join(', ')}] changes the size`);
      return layer.shape.slice();
    }
    case 'flatten':
      return [shape.reduce((a, b) => a * b, 1)];
    case 'labelConcat':
    case 'projection':
    case 'auxClassifier':
      return conditioningOutputShape(layer, shape);
    case 'resBlockUp':
    case 'resBlockDown':
    case 'upsample':
    case 'avgPool':
    case 'globalSumPool':
      return residualOutputShape(layer, shape);
    default:
      return shape.slice();
  }
}
