import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { WeightDraws, glorotInit, type WeightInit } from './initializers.js';
import type { ApplyOptions, LayerDefinition, LayerParams } from './layerDefinition.js';
import { layerDefinition, type LayerSpec } from './layerRegistry.js';
import type { ConvActivation } from './nnOps.js';

/**
 * Networks are declared as data: an input shape and a list of layers. One builder turns a
 * declaration into variables (seeded) and a forward function. Tensors are NHWC. What each
 * layer kind does is in its definition (layerRegistry.ts lists them).
 */
export type { ApplyOptions } from './layerDefinition.js';
export { layerOutputShape, type LayerSpec } from './layerRegistry.js';

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
  definition: LayerDefinition<LayerSpec>;
  inShape: number[];
  outShape: number[];
  params: LayerParams;
}

/**
 * Whether a layer's output for one example depends on the other examples of the batch
 * (batchnorm with batch statistics, and the residual up-block that contains it). A network
 * without such a layer gives the same per-example outputs for two batches run one after the
 * other or concatenated into one call.
 */
export function couplesBatch(spec: NetworkSpec): boolean {
  return spec.layers.some((l) => layerDefinition(l).couplesBatch === true);
}

export class Network {
  readonly trainable: NamedVariable[] = [];
  /** Non-trainable state (batchnorm moving statistics, spectral norm's vectors `sn_u`). */
  readonly state: NamedVariable[] = [];
  readonly outputShape: number[];
  /** True when some layer reads class labels in `apply` (labelConcat, projection). */
  readonly conditional: boolean;
  private readonly layers: BuiltLayer[] = [];

  constructor(readonly name: string, readonly spec: NetworkSpec, seed: number, stream: number, init: WeightInit = glorotInit) {
    const draws = new WeightDraws(new Rng(seed, stream, 0), init);
    let shape = spec.input.slice();
    spec.layers.forEach((layer, i) => {
      const definition = layerDefinition(layer);
      const outShape = definition.outputShape(layer, shape);
      const params: LayerParams = {};
      const prefix = `${name}/${i}_${layer.kind}`;
      const add = (key: string, values: Float32Array, paramShape: number[], trainable: boolean) => {
        const v = tf.tidy(() => tf.variable(tf.tensor(values, paramShape), trainable));
        params[key] = v;
        (trainable ? this.trainable : this.state).push({ name: `${prefix}/${key}`, variable: v });
        return v;
      };
      // Spectral norm's vectors come from their own stream, so that turning it on leaves every weight as it was.
      const snRng = new Rng(seed, stream, 1 + i);
      definition.params?.(layer, shape, add, draws, snRng);
      this.layers.push({ spec: layer, definition, inShape: shape, outShape, params });
      shape = outShape;
    });
    this.outputShape = shape;
    this.conditional = this.layers.some((l) => l.definition.readsLabels === true);
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
      const { spec, definition, inShape, outShape, params } = layer;
      h = definition.apply(spec, h, params, { opts, inShape, outShape, activation, what: `${this.name} layer ${i} (${spec.kind})` });
      if (activation) i++;
    }
    return h;
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

/** The activation to run inside `layer` (a convolution with a bias, or a batchnorm) when `next` is one (relu, leaky relu). */
function fusableActivation(layer: BuiltLayer, next: BuiltLayer | undefined): ConvActivation | undefined {
  if (!next || !layer.definition.takesActivation?.(layer.spec)) return undefined;
  return next.definition.asActivation?.(next.spec);
}
