import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTrainConfig, validateTrainConfig, type TrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { presetNames } from 'gantry-core/models/presets.js';
import { tinyConvNets } from './fixtures.js';

/** Freezes a value and everything inside it: writing to any part of it then throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Every optional section given with only its required keys. */
const sparseSections = () => ({
  ...JSON.parse(JSON.stringify(tinyConvNets)),
  regularizer: { kind: 'gradient-penalty', weight: 10 },
  lrSchedule: { kind: 'cosine' },
  ema: { decay: 0.999 },
  augment: ['translation'],
  ada: {},
});

test('resolving fills in the sections\' defaults, in the key order config.json has, and leaves its inputs alone', () => {
  const file = deepFreeze(sparseSections());
  const flags = deepFreeze({ batchSize: 4, steps: 2, backend: 'cpu' as const, dataOptions: { flip: true } });
  const c = resolveTrainConfig(file, flags);
  assert.equal(JSON.stringify(c.regularizer), '{"kind":"gradient-penalty","weight":10,"every":1,"center":1}');
  assert.equal(JSON.stringify(c.lrSchedule), '{"kind":"cosine","warmupSteps":0,"endScale":0}');
  assert.equal(JSON.stringify(c.ema), '{"decay":0.999,"startStep":0}');
  assert.equal(JSON.stringify(c.ada), '{"target":0.6,"interval":4,"speedImages":100000,"initialP":0}');
  assert.deepEqual(c.dataOptions, { resize: 'crop', background: 'white', flip: true, strict: false });
  // a given value keeps its place; only the missing keys join the end
  const given = resolveTrainConfig({ ...sparseSections(), regularizer: { kind: 'gradient-penalty', center: 0, weight: 5 }, lrSchedule: { kind: 'linear', endScale: 0.1 } }, {});
  assert.equal(JSON.stringify(given.regularizer), '{"kind":"gradient-penalty","center":0,"weight":5,"every":1}');
  assert.equal(JSON.stringify(given.lrSchedule), '{"kind":"linear","endScale":0.1,"warmupSteps":0}');
  // R1 and R2 have no center to default
  assert.equal(JSON.stringify(resolveTrainConfig({ regularizer: { kind: 'r1', weight: 1, every: 4 } }, {}).regularizer), '{"kind":"r1","weight":1,"every":4}');
});

test('validation never changes the config it checks', () => {
  const configs: TrainConfig[] = [
    resolveTrainConfig(sparseSections(), { steps: 2 }),
    ...presetNames().map((preset) => resolveTrainConfig({}, { preset })),
  ];
  for (const c of configs) {
    const before = structuredClone(c);
    const frozen = deepFreeze(structuredClone(c));
    validateTrainConfig(frozen, 'config');
    assert.deepEqual(frozen, before, c.preset);
  }
});

test('validation fills in nothing: a section without its defaults is refused there', () => {
  const c = resolveTrainConfig(sparseSections(), { steps: 2 });
  const refused = (over: Partial<Record<keyof TrainConfig, unknown>>, message: RegExp) =>
    assert.throws(() => validateTrainConfig(deepFreeze({ ...c, ...over } as TrainConfig), 'config'), (e: unknown) => e instanceof UsageError && message.test(e.message), String(message));
  refused({ regularizer: { kind: 'r1', weight: 1 } }, /^config: regularizer\.every must be an integer of at least 1, got undefined$/);
  refused({ ema: { decay: 0.9 } }, /^config: ema\.startStep must be an integer of at least 0, got undefined$/);
  refused({ lrSchedule: { kind: 'linear' } }, /^config: lrSchedule\.warmupSteps must be an integer of at least 0, got undefined$/);
  refused({ dataOptions: { resize: 'zoom', background: 'white', flip: false, strict: false } }, /dataOptions\.resize must be one of crop, pad, stretch/);
});

test('bad sections are still refused with the same sentences', () => {
  const refused = (file: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => resolveTrainConfig(deepFreeze(file), {}), (e: unknown) => e instanceof UsageError && message.test(e.message), String(message));
  refused({ regularizer: 'r1' }, /^config: regularizer must be an object with kind, weight, center, every, or null$/);
  refused({ regularizer: { kind: 'r3', weight: 1 } }, /^config: regularizer\.kind must be "gradient-penalty", "r1" or "r2"$/);
  refused({ regularizer: { kind: 'r1', weight: 1, center: 1 } }, /^config: regularizer\.center applies to "gradient-penalty" only$/);
  refused({ regularizer: { kind: 'gradient-penalty', weight: 1, every: 0 } }, /^config: regularizer\.every must be an integer of at least 1, got 0$/);
  refused({ lrSchedule: { kind: 'constant', warmupSteps: 3 } }, /^config: lrSchedule must be \{"kind": "constant"\}/);
  refused({ ema: [0.9] }, /^config: ema must be an object with decay, startStep, or null$/);
  refused({ augment: ['translation'], ada: { interval: 0 } }, /^config: ada\.interval must be an integer of at least 1, got 0$/);
});
