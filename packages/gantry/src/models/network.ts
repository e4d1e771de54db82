import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { nnOps } from './nnOps.js';

/**
 * Networks are declared as data: an input shape and a list of layers. One builder turns a
 * declaration into variables (seeded) and a forward function. Tensors are NHWC.
 */
export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'linear';

export type LayerSpec =
  | { kind: 'dense'; units: number; bias?: boolean }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean }
  | { kind: 'conv2dTranspose'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias?: boolean }
  | { kind: 'batchNorm'; momentum?: number; epsilon?: number }
  | { kind: 'relu' }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'sigmoid' }
  | { kind: 'tanh' }
  | { kind: 'reshape'; shape: number[] }
  | { kind: 'flatten' };

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

export class Network {
  readonly trainable: NamedVariable[] = [];
  /** Non-trainable state (batchnorm moving statistics). */
  readonly state: NamedVariable[] = [];
  readonly outputShape: number[];
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
      };
      switch (layer.kind) {
        case 'dense': {
          const fanIn = shape[0];
          add('kernel', glorotUniform(rng, fanIn, layer.units, fanIn * layer.units), [fanIn, layer.units], true);
          if (layer.bias !== false) add('bias', new Float32Array(layer.units), [layer.units], true);
          break;
        }
        case 'conv2d': {
          const inC = shape[2];
          const k = layer.kernel;
          const fanIn = k * k * inC;
          const fanOut = k * k * layer.filters;
          add('kernel', glorotUniform(rng, fanIn, fanOut, k * k * inC * layer.filters), [k, k, inC, layer.filters], true);
          if (layer.bias !== false) add('bias', new Float32Array(layer.filters), [layer.filters], true);
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
          break;
        }
        case 'batchNorm': {
          const c = shape[shape.length - 1];
          add('gamma', new Float32Array(c).fill(1), [c], true);
          add('beta', new Float32Array(c), [c], true);
          add('movingMean', new Float32Array(c), [c], false);
          add('movingVariance', new Float32Array(c).fill(1), [c], false);
          break;
        }
        default:
          break;
      }
      this.layers.push({ spec: layer, inShape: shape, outShape, params });
      shape = outShape;
    });
    this.outputShape = shape;
  }

  /**
   * Forward pass on a batch. In training mode batchnorm uses the batch's statistics and,
   * when `updateStats` is set, moves its running averages towards them.
   */
  apply(x: tf.Tensor, opts: { training: boolean; updateStats?: boolean; labels?: tf.Tensor }): tf.Tensor {
    let h = x;
    for (const layer of this.layers) h = this.applyLayer(layer, h, opts);
    return h;
  }

  private applyLayer(layer: BuiltLayer, x: tf.Tensor, opts: { training: boolean; updateStats?: boolean }): tf.Tensor {
    const s = layer.spec;
    const p = layer.params;
    const batch = x.shape[0];
    switch (s.kind) {
      case 'dense': {
        const y = tf.matMul(x as tf.Tensor2D, p.kernel as tf.Tensor2D);
        return p.bias ? tf.add(y, p.bias) : y;
      }
      case 'conv2d': {
        const y = tf.conv2d(x as tf.Tensor4D, p.kernel as tf.Tensor4D, s.stride, s.padding);
        return p.bias ? tf.add(y, p.bias) : y;
      }
      case 'conv2dTranspose': {
        const out = layer.outShape;
        const y = tf.conv2dTranspose(x as tf.Tensor4D, p.kernel as tf.Tensor4D, [batch, out[0], out[1], out[2]], s.stride, s.padding);
        return p.bias ? tf.add(y, p.bias) : y;
      }
      case 'batchNorm': {
        const eps = s.epsilon ?? 1e-3;
        if (!opts.training) {
          return tf.batchNorm(x, p.movingMean, p.movingVariance, p.beta, p.gamma, eps);
        }
        const { y, mean, variance } = nnOps().batchNormTraining(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, eps);
        if (opts.updateStats) {
          const m = s.momentum ?? 0.99;
          tf.tidy(() => {
            p.movingMean.assign(tf.add(tf.mul(p.movingMean, m), tf.mul(mean, 1 - m)));
            p.movingVariance.assign(tf.add(tf.mul(p.movingVariance, m), tf.mul(variance, 1 - m)));
          });
        }
        return y;
      }
      case 'relu':
        return nnOps().relu(x);
      case 'leakyRelu':
        return nnOps().leakyRelu(x, s.alpha);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'tanh':
        return tf.tanh(x);
      case 'reshape':
        return tf.reshape(x, [batch, ...s.shape]);
      case 'flatten':
        return tf.reshape(x, [batch, -1]);
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

function glorotUniform(rng: Rng, fanIn: number, fanOut: number, size: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.fillUniform(new Float32Array(size), -limit, limit);
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
    default:
      return shape.slice();
  }
}
