import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';
import type { AddParam, WeightDraws } from './initializers.js';
import type { KerasLayerEntry } from './kerasLayers.js';
import type { ConvActivation, NnOps } from './nnOps.js';
import type { OnnxLayerEntry } from './onnxLayers.js';

/**
 * What one layer kind is, in one place: its config keys, its shape rule, its variables and
 * forward, and its Keras and ONNX forms. The registry (layerRegistry.ts) holds one definition
 * per kind in a table whose type lists every kind, so a kind without a definition, or a
 * definition without a required part, does not compile.
 */

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

/** What a layer's forward sees besides its input and its variables. */
export interface LayerApplyContext {
  opts: ApplyOptions;
  /** Per-example shapes, without the batch axis. */
  inShape: number[];
  outShape: number[];
  /** The relu or leaky relu after this layer, run inside it; only for a kind whose `takesActivation` says so. */
  activation?: ConvActivation;
  /** The layer as error messages name it, e.g. `D layer 3 (projection)`. */
  what: string;
}

/** A layer's variables by key (`kernel`, `conv1/bias`, ...), as `params` created them. */
export type LayerParams = Record<string, tf.Variable>;

/** The config keys of a layer spec other than `kind`, each marked once; their order is the order messages list them in. */
export type LayerKeySet<S> = { readonly [P in Exclude<keyof S, 'kind'>]-?: true };

export interface LayerDefinition<S extends { kind: string }> {
  /** Every key the config accepts for this kind; each key's value rule is in layerRegistry.ts (one rule per key name, shared by all kinds). */
  keys: LayerKeySet<S>;
  /** The per-example output shape for a per-example input shape; throws a plain Error, naming the kind, on a declaration that cannot fit. */
  outputShape(spec: S, inShape: number[]): number[];
  /** Creates the layer's variables in checkpoint order (from `draws`; spectral norm's vectors from `snRng`). Absent: the kind has none. */
  params?(spec: S, inShape: number[], add: AddParam, draws: WeightDraws, snRng: Rng): void;
  /** The forward pass on a batch [batch, ...inShape]. */
  apply(spec: S, x: tf.Tensor, params: LayerParams, ctx: LayerApplyContext): tf.Tensor;
  /** Whether a relu or leaky relu right after this layer can run inside it (given as `ctx.activation`). */
  takesActivation?(spec: S): boolean;
  /** The activation this layer is, for a layer before it that takes one. */
  asActivation?(spec: S): ConvActivation;
  /** In training, an example's output depends on the other examples of its batch (batch statistics). Absent: false. */
  couplesBatch?: boolean;
  /** `apply` reads `opts.labels`. Absent: false. */
  readsLabels?: boolean;
  /** The layer as TF.js Keras layers, or why it has no such form. */
  keras: KerasLayerEntry<S>;
  /** The layer as ONNX operators, or why it has no such form. */
  onnx: OnnxLayerEntry<S>;
  /** A small declaration of this kind that fits `input`; the tests build, run and export every kind from it. */
  example: { input: number[]; spec: S };
}

/** One definition for each kind of the union `U`: a kind of `U` without one is a compile error. */
export type LayerDefinitions<U extends { kind: string }> = { [K in U['kind']]: LayerDefinition<Extract<U, { kind: K }>> };

/** Throws unless a per-example shape has `rank` axes. */
export function requireRank(kind: string, shape: number[], rank: number): void {
  if (shape.length !== rank) {
    throw new Error(`layer ${kind} needs rank-${rank} input per example, got [${shape.join(', ')}]`);
  }
}
