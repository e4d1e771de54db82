import { UsageError } from '../errors.js';
import { activationLayers, type ActivationLayerSpec } from './activationLayers.js';
import { batchNormLayers, type BatchNormLayerSpec } from './batchNorm.js';
import { conditioningLayers, type ConditioningLayerSpec } from './conditioning.js';
import type { LayerDefinition, LayerDefinitions } from './layerDefinition.js';
import { reshapeLayers, type ReshapeLayerSpec } from './reshapeLayers.js';
import { residualLayers, type ResidualLayerSpec } from './residual.js';
import { weightLayers, type WeightLayerSpec } from './weightLayers.js';

/**
 * Every layer kind, declared once. A kind is a spec type in its family's union and one
 * definition in that family's table (layerDefinition.ts says what a definition holds): its config
 * keys, shape rule, variables, forward, and Keras and ONNX forms. The network builder, config
 * validation and both exports read a kind only from here, and the table's type lists every kind
 * of `LayerSpec`, so a kind missing anywhere does not compile.
 *
 * Weight layers take `spectralNorm: true` to use their kernel divided by its largest singular
 * value (spectralNorm.ts).
 */
export type LayerSpec = WeightLayerSpec | BatchNormLayerSpec | ActivationLayerSpec | ReshapeLayerSpec | ConditioningLayerSpec | ResidualLayerSpec;

export type LayerKind = LayerSpec['kind'];

/** The definition of every kind, in the order messages list the kinds. */
export const layerRegistry: LayerDefinitions<LayerSpec> = {
  ...weightLayers,
  ...batchNormLayers,
  ...activationLayers,
  ...reshapeLayers,
  ...conditioningLayers,
  ...residualLayers,
};

export const layerKinds = Object.keys(layerRegistry) as LayerKind[];

export function isLayerKind(kind: unknown): kind is LayerKind {
  return typeof kind === 'string' && Object.hasOwn(layerRegistry, kind);
}

/** The definition of `spec`'s kind, typed for a spec of any kind. */
export function layerDefinition(spec: LayerSpec): LayerDefinition<LayerSpec> {
  return layerRegistry[spec.kind] as unknown as LayerDefinition<LayerSpec>;
}

/** Shape inference; throws on a declaration that cannot fit the incoming shape. */
export function layerOutputShape(spec: LayerSpec, shape: number[]): number[] {
  return layerDefinition(spec).outputShape(spec, shape);
}

/** The config keys of `kind` other than `kind` itself, in the order messages list them. */
export function layerConfigKeys(kind: LayerKind): string[] {
  return Object.keys(layerRegistry[kind].keys);
}

type KeysOfUnion<U> = U extends unknown ? keyof U : never;

/** Every config key of any layer kind, other than `kind`. */
export type LayerKey = Exclude<KeysOfUnion<LayerSpec>, 'kind'>;

/** What a key's value must be: `${at}.${key} must ${must}` when `valid` refuses it. An optional key is checked when given. */
export interface LayerKeyRule {
  required: boolean;
  valid(value: unknown): boolean;
  must: string;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

const positiveInt: LayerKeyRule = { required: true, valid: isPositiveInt, must: 'be a positive integer' };
const flag: LayerKeyRule = { required: false, valid: (v) => typeof v === 'boolean', must: 'be true or false' };

/**
 * One rule per key name, the same for every kind that has the key: a key that a new kind brings
 * needs its rule here (the type lists every key). Checked in this order, so that of several bad
 * values in one layer the first named is always the same.
 */
export const layerKeyRules: { readonly [K in LayerKey]: LayerKeyRule } = {
  units: positiveInt,
  filters: positiveInt,
  kernel: positiveInt,
  stride: positiveInt,
  classes: { required: true, valid: (v) => isPositiveInt(v) && v >= 2, must: 'be an integer of at least 2 (the number of classes in the labels)' },
  embedding: { required: false, valid: isPositiveInt, must: 'be a positive integer (the embedding width); leave it out for a one-hot label' },
  padding: { required: false, valid: (v) => v === 'same' || v === 'valid', must: 'be "same" or "valid"' },
  bias: flag,
  spectralNorm: flag,
  preactivation: flag,
  alpha: { required: true, valid: (v) => typeof v === 'number' && v >= 0 && v < 1, must: 'be a number in [0, 1)' },
  shape: { required: true, valid: (v) => Array.isArray(v) && v.every(isPositiveInt), must: 'be a list of positive integers' },
  momentum: { required: false, valid: (v) => typeof v === 'number' && v >= 0 && v < 1, must: 'be a number in [0, 1)' },
  epsilon: { required: false, valid: (v) => typeof v === 'number' && v > 0, must: 'be a number above 0' },
};

/** Checks the values of a layer whose kind and keys are known to be valid; throws a UsageError at `at` (e.g. `generator.layers[2]`). */
export function checkLayerValues(layer: LayerSpec, at: string): void {
  const keys = layerRegistry[layer.kind].keys;
  const values = layer as unknown as Record<string, unknown>;
  for (const [key, rule] of Object.entries(layerKeyRules) as [string, LayerKeyRule][]) {
    if (!(key in keys)) continue;
    const v = values[key];
    if ((rule.required || v !== undefined) && !rule.valid(v)) throw new UsageError(`${at}.${key} must ${rule.must}`);
  }
}
