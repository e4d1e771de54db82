import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { resolveTrainConfig, type TrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { Rng } from 'gantry-core/util/random.js';

/** A sweep as written in its JSON file (schema/sweep.schema.json describes it for editors). */
export interface SweepSpec {
  name: string;
  /** A preset and any config.json keys, shared by every run. */
  base: Record<string, unknown>;
  /** Dotted config key -> values; every combination is run. */
  grid?: Record<string, unknown[]>;
  /** `count` draws of each named key from its distribution, combined with every grid point. */
  random?: { count: number; seed?: number; params: Record<string, Distribution> };
  seeds?: number[];
}

export type Distribution =
  | { distribution: 'uniform' | 'log-uniform'; min: number; max: number; integer?: boolean }
  | { distribution: 'choice'; values: unknown[] };

/** One run of a sweep: its directory name, the values that set it apart, its resolved config. */
export interface SweepRun {
  name: string;
  /** The varied keys and their values for this run (grid, random draws, seed). */
  params: Record<string, unknown>;
  config: TrainConfig;
}

/** More runs than this is almost surely a mistake in the spec (and a slow enqueue). */
export const maxSweepRuns = 10000;

export const sweepSchemaPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'schema', 'sweep.schema.json');

let validator: ValidateFunction | null = null;

function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: false, discriminator: true, strict: false, verbose: true });
    validator = ajv.compile(JSON.parse(readFileSync(sweepSchemaPath, 'utf8')) as object);
  }
  return validator;
}

/** Read and check a sweep file; every problem is a UsageError naming the file and the place in it. */
export function readSweepSpec(path: string): SweepSpec {
  if (!existsSync(path)) throw new UsageError(`sweep spec ${path}: no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`sweep spec ${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return validateSweepSpec(raw, `sweep spec ${path}`);
}

export function validateSweepSpec(raw: unknown, where = 'sweep spec'): SweepSpec {
  const validate = schemaValidator();
  if (!validate(raw)) throw new UsageError(`${where}: ${describeSchemaError(validate.errors?.[0])}`);
  const spec = raw as SweepSpec;
  for (const [key, d] of Object.entries(spec.random?.params ?? {})) {
    if (d.distribution === 'choice') continue;
    if (!(d.min <= d.max)) throw new UsageError(`${where}: random.params.${key}: min (${d.min}) must not exceed max (${d.max})`);
    if (d.distribution === 'log-uniform' && !(d.min > 0)) throw new UsageError(`${where}: random.params.${key}: log-uniform needs min above 0, got ${d.min}`);
  }
  const gridKeys = Object.keys(spec.grid ?? {});
  const randomKeys = Object.keys(spec.random?.params ?? {});
  for (const key of [...gridKeys, ...randomKeys]) {
    const top = key.split('.')[0];
    if (top === 'preset') throw new UsageError(`${where}: ${key} cannot vary within a sweep (the preset fixes the networks); write one sweep per preset`);
    if (top === 'seed' && spec.seeds) throw new UsageError(`${where}: seed is varied by "seeds"; leave it out of grid and random`);
    for (const other of [...gridKeys, ...randomKeys]) {
      if (other !== key && (other === key || other.startsWith(key + '.'))) throw new UsageError(`${where}: ${other} is inside ${key}, which is varied too; vary one or the other`);
    }
  }
  const dup = gridKeys.find((k) => randomKeys.includes(k));
  if (dup) throw new UsageError(`${where}: ${dup} is in both grid and random; put it in one`);
  return spec;
}

function describeSchemaError(e: ErrorObject | undefined): string {
  if (!e) return 'does not match the sweep schema';
  const at = e.instancePath ? e.instancePath.slice(1).split('/').join('.') : 'the top level';
  if (e.keyword === 'additionalProperties') {
    const known = schemaKeysAt(e.schemaPath);
    return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}' at ${at}${known ? `; known keys: ${known}` : ''}`;
  }
  if (e.keyword === 'minProperties' && e.instancePath === '/grid') return 'grid is empty; give at least one key and its values, or leave grid out';
  if (e.keyword === 'minItems') return `${at} is empty; give at least one value`;
  if (e.keyword === 'required') return `${at} needs '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'pattern' && e.instancePath === '/name') return `name must be letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(e.data)}`;
  if (e.keyword === 'pattern') return `${at}: '${String(e.data)}' is not a config key (a name such as loss, or a dotted path such as optimizerG.learningRate)`;
  return `${at} ${e.message ?? 'is not valid'}${e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'const' ? `, got ${JSON.stringify(e.data)}` : ''}`;
}

function schemaKeysAt(schemaPath: string): string | null {
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: unknown = JSON.parse(readFileSync(sweepSchemaPath, 'utf8'));
  for (const p of parts) node = (node as Record<string, unknown> | undefined)?.[p];
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props).filter((k) => k !== '$schema').join(', ') : null;
}

/** How many runs the spec makes, without making them. */
export function countSweepRuns(spec: SweepSpec): number {
  const grid = Object.values(spec.grid ?? {}).reduce((n, values) => n * values.length, 1);
  return grid * (spec.random?.count ?? 1) * (spec.seeds?.length ?? 1);
}

/**
 * Every run of the sweep, in a fixed order (grid, then random draw, then seed), each with a
 * config resolved and validated exactly as `gantry train --config` would.
 */
export function expandSweep(spec: SweepSpec, where = `sweep ${spec.name}`): SweepRun[] {
  const count = countSweepRuns(spec);
  if (count > maxSweepRuns) throw new UsageError(`${where}: ${count} runs, more than the ${maxSweepRuns} a sweep may have; shorten the grid, random.count or seeds`);
  const base = resolveTrainConfig(spec.base, {}, `${where}: base`);

  const gridPoints = cartesian(Object.entries(spec.grid ?? {}));
  const draws = drawRandom(spec.random);
  const seeds = spec.seeds ?? [null];
  const combos: { params: Record<string, unknown>; draw: number }[] = [];
  for (const g of gridPoints) {
    draws.forEach((d, draw) => {
      for (const seed of seeds) combos.push({ params: { ...g, ...d, ...(seed === null ? {} : { seed }) }, draw });
    });
  }

  const varying = Object.keys(combos[0].params).filter((key) => new Set(combos.map((c) => JSON.stringify(c.params[key]))).size > 1);
  const choices = (key: string): unknown[] | undefined => {
    const d = spec.random?.params[key];
    return spec.grid?.[key] ?? (d?.distribution === 'choice' ? d.values : undefined);
  };
  const nameOf = (params: Record<string, unknown>, draw: number | null) => {
    const parts = varying.map((key) => `${key}-${valueLabel(params[key], choices(key))}`);
    if (draw !== null) parts.push(`draw-${draw}`);
    return parts.length > 0 ? parts.join('_') : 'run';
  };
  let names = combos.map((c) => nameOf(c.params, null));
  // random draws can coincide once rounded; the draw number then tells them apart
  if (new Set(names).size < names.length) names = combos.map((c) => nameOf(c.params, spec.random ? c.draw : null));

  return combos.map((c, i) => {
    const name = names[i];
    const settings = structuredClone(base) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(c.params)) setPath(settings, key, value, `${where}: ${key}`);
    const config = resolveTrainConfig(settings, {}, `${where}, run '${name}'`);
    return { name, params: c.params, config };
  });
}

function cartesian(entries: [string, unknown[]][]): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [key, values] of entries) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

function drawRandom(random: SweepSpec['random']): Record<string, unknown>[] {
  if (!random) return [{}];
  // a stream of its own, so the draws never share numbers with training's randomness
  const rng = new Rng(random.seed ?? 0, 0x5eeb, 0);
  const keys = Object.keys(random.params).sort();
  return Array.from({ length: random.count }, () => {
    const draw: Record<string, unknown> = {};
    for (const key of keys) {
      const d = random.params[key];
      if (d.distribution === 'choice') {
        draw[key] = structuredClone(d.values[rng.below(d.values.length)]);
        continue;
      }
      const u = rng.uniform();
      const x = d.distribution === 'uniform' ? d.min + (d.max - d.min) * u : Math.exp(Math.log(d.min) + (Math.log(d.max) - Math.log(d.min)) * u);
      // four significant digits: the value in the run's name is the value it trains with
      draw[key] = d.integer ? Math.round(x) : Number(x.toPrecision(4));
    }
    return draw;
  });
}

function valueLabel(value: unknown, listed: unknown[] | undefined): string {
  if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) {
    const s = String(value).replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '');
    if (s.length > 0 && s.length <= 40) return s;
  }
  const index = listed?.findIndex((v) => JSON.stringify(v) === JSON.stringify(value)) ?? -1;
  return index >= 0 ? `v${index}` : 'x';
}

function setPath(target: Record<string, unknown>, key: string, value: unknown, where: string): void {
  const parts = key.split('.');
  let node: Record<string, unknown> = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = node[parts[i]];
    if (typeof next !== 'object' || next === null) {
      throw new UsageError(`${where}: ${parts.slice(0, i + 1).join('.')} is ${JSON.stringify(next ?? null)} in the base config, so ${key} cannot be set; give ${parts.slice(0, i + 1).join('.')} in base`);
    }
    node = next as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (Array.isArray(node) && !/^\d+$/.test(last)) throw new UsageError(`${where}: ${parts.slice(0, -1).join('.')} is a list; index it with a number`);
  node[last] = structuredClone(value);
}
