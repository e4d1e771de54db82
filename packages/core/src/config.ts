import { UsageError } from './errors.js';
import { parseDataSpec } from './data/spec.js';
import { DEFAULT_IMAGE_OPTIONS, resolveImageOptions, type ImageOptions } from './data/imageOptions.js';
import { shipsFeatureNetwork } from './eval/featureNetworks.js';
import { adversarialLosses } from './losses/adversarial.js';
import { getPreset, presetNames, defaultPresetName } from './models/presets.js';
import { checkLayerValues, isLayerKind, layerConfigKeys, layerKinds, layerOutputShape } from './models/layerRegistry.js';
import type { NetworkSpec } from './models/network.js';
import type { OptimizerSettings } from './train/optimizer.js';
import { augmentOps } from './train/augment.js';
import type { BackendChoice, LrSchedule, TrainConfig } from './trainConfig.js';

export type { BackendChoice, LrSchedule, TrainConfig } from './trainConfig.js';

/** The schedule's factor at a (zero-based) step of a run of `total` steps. */
export function learningRateFactor(s: LrSchedule, step: number, total: number): number {
  if (s.kind === 'constant') return 1;
  if (step < s.warmupSteps) return (step + 1) / s.warmupSteps;
  const span = Math.max(1, total - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / span);
  const fall = s.kind === 'linear' ? 1 - t : 0.5 * (1 + Math.cos(Math.PI * t));
  return s.endScale + (1 - s.endScale) * fall;
}

export const backendChoices: BackendChoice[] = ['auto', 'webgpu', 'onednn', 'tensorflow', 'cpu'];

/** Settings that may be given in a config file or on the command line, overriding the preset. */
export type TrainOverrides = Partial<Omit<TrainConfig, 'preset' | 'lastBatch' | 'dataOptions'>> & { preset?: string; dataOptions?: Partial<ImageOptions> };

const configKeys = [
  'preset', 'data', 'dataOptions', 'pixelRange', 'latentDim', 'generator', 'discriminator', 'loss', 'optimizerG', 'optimizerD',
  'batchSize', 'steps', 'epochs', 'lastBatch', 'seed', 'logEvery', 'sampleEvery', 'sampleCount', 'checkpointEvery',
  'keepCheckpoints', 'backend', 'onDivergence', 'evalEvery', 'evalSamples', 'untilFid', 'untilKid',
  'dSteps', 'regularizer', 'labelSmoothing', 'labelFlip', 'instanceNoise', 'clipGradNorm', 'weightClip', 'lrSchedule', 'ema',
  'augment', 'ada', 'conditional', 'numClasses', 'auxClassifierWeight', 'fakeLabels', 'init',
] as const;

/** Apply defaults once: preset, then config file, then flags. */
export function resolveTrainConfig(fileConfig: Record<string, unknown>, flags: TrainOverrides, where = 'config'): TrainConfig {
  checkKnownKeys(fileConfig, configKeys, where);
  const merged: Record<string, unknown> = { ...fileConfig, ...dropUndefined(flags) };
  const presetName = (merged.preset as string | undefined) ?? defaultPresetName;
  const preset = getPreset(presetName);
  if (!preset) {
    throw new UsageError(`unknown preset '${presetName}'; choose one of: ${presetNames().join(', ')}`);
  }
  const { description: _description, ...presetSettings } = preset;
  const config = {
    epochs: null,
    lastBatch: 'drop',
    seed: 0,
    logEvery: 100,
    sampleEvery: 500,
    sampleCount: 64,
    checkpointEvery: 1000,
    keepCheckpoints: 3,
    backend: 'auto',
    onDivergence: 'stop',
    evalEvery: 0,
    evalSamples: 1000,
    untilFid: null,
    untilKid: null,
    dSteps: 1,
    regularizer: null,
    labelSmoothing: 0,
    labelFlip: 0,
    instanceNoise: null,
    clipGradNorm: null,
    weightClip: null,
    lrSchedule: { kind: 'constant' },
    ema: null,
    augment: [],
    ada: null,
    conditional: false,
    numClasses: null,
    auxClassifierWeight: 0,
    fakeLabels: 'uniform',
    init: { kind: 'glorot-uniform' },
    ...presetSettings,
    ...merged,
    dataOptions: { ...DEFAULT_IMAGE_OPTIONS, ...(presetSettings.dataOptions ?? {}), ...(fileConfig.dataOptions === undefined ? {} : resolveImageOptions(fileConfig.dataOptions, where)), ...dropUndefined(flags.dataOptions ?? {}) },
    preset: presetName,
  } as TrainConfig;
  if (flags.epochs !== undefined && flags.steps === undefined) config.steps = 0;
  const resolved = withSectionDefaults(config);
  validateTrainConfig(resolved, where);
  return resolved;
}

/**
 * The defaults inside the optional sections (regularizer, lrSchedule, ema, ada), filled in where
 * a section is an object; a missing key joins the end, as in config.json. Anything else is left
 * as it is for validation to refuse.
 */
function withSectionDefaults(c: TrainConfig): TrainConfig {
  const section = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const out: Record<string, unknown> = { ...c };
  const reg = section(c.regularizer);
  if (reg) out.regularizer = reg.kind === 'gradient-penalty' ? { ...reg, every: reg.every ?? 1, center: reg.center ?? 1 } : { ...reg, every: reg.every ?? 1 };
  const schedule = section(c.lrSchedule);
  if (schedule && (schedule.kind === 'linear' || schedule.kind === 'cosine')) out.lrSchedule = { ...schedule, warmupSteps: schedule.warmupSteps ?? 0, endScale: schedule.endScale ?? 0 };
  const ema = section(c.ema);
  if (ema) out.ema = { ...ema, startStep: ema.startStep ?? 0 };
  const ada = section(c.ada);
  if (ada) out.ada = { ...ada, target: ada.target ?? 0.6, interval: ada.interval ?? 4, speedImages: ada.speedImages ?? 100000, initialP: ada.initialP ?? 0 };
  return out as unknown as TrainConfig;
}

/** Checks a resolved config (defaults filled in by resolveTrainConfig); it never changes it. */
export function validateTrainConfig(c: Readonly<TrainConfig>, where: string): void {
  const int = (key: keyof TrainConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new UsageError(`${where}: ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  int('latentDim', 1, 100000);
  int('batchSize', 1, 65536);
  int('seed', 0, 4294967295);
  int('logEvery', 1);
  int('sampleEvery', 1);
  int('sampleCount', 1, 1024);
  int('checkpointEvery', 1);
  int('keepCheckpoints', 1, 1000);
  if (c.epochs === null) int('steps', 1);
  else {
    int('epochs', 1);
    int('steps', 0);
  }
  if (typeof c.data !== 'string' || c.data.length === 0) throw new UsageError(`${where}: data must be a data spec such as mnist or npy:PATH`);
  parseDataSpec(c.data);
  resolveImageOptions(c.dataOptions, where); // for its checks: the value is already complete
  if (c.pixelRange !== '0,1' && c.pixelRange !== '-1,1') throw new UsageError(`${where}: pixelRange must be "0,1" or "-1,1"`);
  if (!(c.loss in adversarialLosses)) {
    throw new UsageError(`${where}: unknown loss '${String(c.loss)}'; choose one of: ${Object.keys(adversarialLosses).join(', ')}`);
  }
  if (!backendChoices.includes(c.backend)) throw new UsageError(`${where}: backend must be one of ${backendChoices.join(', ')}`);
  int('evalEvery', 0);
  int('evalSamples', 10, 100000);
  for (const key of ['untilFid', 'untilKid'] as const) {
    const v = c[key];
    if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new UsageError(`${where}: ${key} must be a number of at least 0, or null`);
    if (v !== null && c.evalEvery === 0) throw new UsageError(`${where}: ${key} needs evaluation during training; set --eval-every N`);
  }
  if (c.evalEvery > 0 && !shipsFeatureNetwork(c.data)) {
    throw new UsageError(`${where}: evaluation during training needs a shipped feature network, which exists for mnist, fashion-mnist and emoji, not for ${c.data}; drop --eval-every`);
  }
  validateTraining(c, where);
  if (c.onDivergence !== 'stop' && c.onDivergence !== 'lower-lr') throw new UsageError(`${where}: onDivergence must be "stop" or "lower-lr"`);
  if (c.lastBatch !== 'drop') throw new UsageError(`${where}: lastBatch must be "drop"`);
  validateOptimizer(c.optimizerG, `${where}: optimizerG`);
  validateOptimizer(c.optimizerD, `${where}: optimizerD`);
  validateNetwork(c.generator, `${where}: generator`);
  validateNetwork(c.discriminator, `${where}: discriminator`);
  if (c.generator.input.length !== 1 || c.generator.input[0] !== c.latentDim) {
    throw new UsageError(`${where}: generator.input must be [${c.latentDim}] (the latent size)`);
  }
  const gOut = outputShape(c.generator);
  if (gOut.join(',') !== c.discriminator.input.join(',')) {
    throw new UsageError(`${where}: the generator makes [${gOut.join(', ')}] images but the discriminator takes [${c.discriminator.input.join(', ')}]`);
  }
  const dOut = outputShape(c.discriminator);
  const wantOut = c.auxClassifierWeight > 0 ? (c.numClasses !== null ? 1 + c.numClasses : null) : 1;
  if (dOut.length !== 1 || (wantOut !== null && dOut[0] !== wantOut) || dOut[0] < 1) {
    const want = wantOut === null ? '1 + classes logits per image (ACGAN)' : wantOut === 1 ? 'one logit per image' : `${wantOut} logits per image (1 + ${c.numClasses} classes, ACGAN)`;
    throw new UsageError(`${where}: the discriminator must end in ${want}, it ends in [${dOut.join(', ')}]`);
  }
  if (gOut.length !== 3) throw new UsageError(`${where}: the generator must end in an image [height, width, channels]`);
}

function validateTraining(c: Readonly<TrainConfig>, where: string): void {
  const num = (v: unknown, name: string, lo: number, hi: number, open = false): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (open && v === hi)) {
      throw new UsageError(`${where}: ${name} must be a number from ${lo} to ${hi}${open ? ' (exclusive)' : ''}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const int = (v: unknown, name: string, lo: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo) throw new UsageError(`${where}: ${name} must be an integer of at least ${lo}, got ${JSON.stringify(v)}`);
  };
  const obj = (v: unknown, name: string, keys: string[]): Readonly<Record<string, unknown>> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${where}: ${name} must be an object with ${keys.join(', ')}, or null`);
    checkKnownKeys(v as Record<string, unknown>, keys, `${where}: ${name}`);
    return v as Record<string, unknown>;
  };
  int(c.dSteps, 'dSteps', 1);
  if (c.regularizer !== null) {
    const r = obj(c.regularizer, 'regularizer', ['kind', 'weight', 'center', 'every']);
    if (r.kind !== 'gradient-penalty' && r.kind !== 'r1' && r.kind !== 'r2') throw new UsageError(`${where}: regularizer.kind must be "gradient-penalty", "r1" or "r2"`);
    num(r.weight, 'regularizer.weight', 0, 1e6);
    int(r.every, 'regularizer.every', 1);
    if (r.kind === 'gradient-penalty') {
      if (r.center !== 0 && r.center !== 1) throw new UsageError(`${where}: regularizer.center must be 0 or 1`);
    } else if ('center' in r) throw new UsageError(`${where}: regularizer.center applies to "gradient-penalty" only`);
  }
  num(c.labelSmoothing, 'labelSmoothing', 0, 0.5, true);
  num(c.labelFlip, 'labelFlip', 0, 0.5, true);
  if ((c.labelSmoothing > 0 || c.labelFlip > 0) && c.loss !== 'non-saturating' && c.loss !== 'minimax') {
    throw new UsageError(`${where}: labelSmoothing and labelFlip apply to the cross-entropy losses (non-saturating, minimax), not ${c.loss}`);
  }
  if (c.instanceNoise !== null) {
    const n = obj(c.instanceNoise, 'instanceNoise', ['std', 'annealSteps']);
    num(n.std, 'instanceNoise.std', 0, 10);
    int(n.annealSteps, 'instanceNoise.annealSteps', 1);
  }
  if (c.clipGradNorm !== null) num(c.clipGradNorm, 'clipGradNorm', 1e-12, 1e12);
  if (c.weightClip !== null) num(c.weightClip, 'weightClip', 1e-12, 1e6);
  const s = obj(c.lrSchedule, 'lrSchedule', ['kind', 'warmupSteps', 'endScale']);
  if (s.kind === 'linear' || s.kind === 'cosine') {
    int(s.warmupSteps, 'lrSchedule.warmupSteps', 0);
    num(s.endScale, 'lrSchedule.endScale', 0, 1);
  } else if (s.kind !== 'constant' || Object.keys(s).length > 1) {
    throw new UsageError(`${where}: lrSchedule must be {"kind": "constant"} or {"kind": "linear" | "cosine", "warmupSteps": N, "endScale": x}`);
  }
  if (c.ema !== null) {
    const e = obj(c.ema, 'ema', ['decay', 'startStep']);
    num(e.decay, 'ema.decay', 0, 1, true);
    int(e.startStep, 'ema.startStep', 0);
  }
  if (!Array.isArray(c.augment) || !c.augment.every((a) => augmentOps.includes(a))) {
    throw new UsageError(`${where}: augment must be a list of ${augmentOps.map((a) => `"${a}"`).join(', ')}`);
  }
  if (c.ada !== null) {
    const a = obj(c.ada, 'ada', ['target', 'interval', 'speedImages', 'initialP']);
    num(a.target, 'ada.target', 0, 1, true);
    int(a.interval, 'ada.interval', 1);
    num(a.speedImages, 'ada.speedImages', 1, 1e12);
    num(a.initialP, 'ada.initialP', 0, 1);
    if (c.augment.length === 0) throw new UsageError(`${where}: ada adapts the augment ops' probability; give augment too, e.g. "augment": ["translation", "cutout"]`);
  }
  if (typeof c.conditional !== 'boolean') throw new UsageError(`${where}: conditional must be true or false`);
  if (c.numClasses !== null) int(c.numClasses, 'numClasses', 2);
  num(c.auxClassifierWeight, 'auxClassifierWeight', 0, 1e6);
  if (c.fakeLabels !== 'uniform' && c.fakeLabels !== 'data') {
    throw new UsageError(`${where}: fakeLabels must be "uniform" (each class equally often) or "data" (at the data's class frequencies), not ${JSON.stringify(c.fakeLabels)}`);
  }
  validateInit(c.init, where);

  if (c.auxClassifierWeight > 0 && !c.conditional) throw new UsageError(`${where}: auxClassifierWeight (ACGAN) needs conditional: true`);
}

function validateInit(init: unknown, where: string): void {
  const hint = 'give {"kind": "glorot-uniform"} (the default) or {"kind": "normal", "std": 0.02}';
  const i = init as Record<string, unknown> | null;
  if (typeof i !== 'object' || i === null || Array.isArray(i)) throw new UsageError(`${where}: init must be an object; ${hint}`);
  if (i.kind === 'glorot-uniform') {
    if (Object.keys(i).length !== 1) throw new UsageError(`${where}: init {"kind": "glorot-uniform"} takes no other keys; ${hint}`);
    return;
  }
  if (i.kind !== 'normal') throw new UsageError(`${where}: init.kind must be "glorot-uniform" or "normal"; ${hint}`);
  if (Object.keys(i).some((k) => k !== 'kind' && k !== 'std')) throw new UsageError(`${where}: init {"kind": "normal"} takes only std; ${hint}`);
  if (typeof i.std !== 'number' || !Number.isFinite(i.std) || i.std <= 0 || i.std > 10) {
    throw new UsageError(`${where}: init.std must be a number above 0 and at most 10, got ${JSON.stringify(i.std)}; ${hint}`);
  }
}

function validateOptimizer(o: OptimizerSettings, where: string): void {
  if (typeof o !== 'object' || o === null) throw new UsageError(`${where} must be an object such as {"kind": "adam", "learningRate": 0.0002, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-7}`);
  const pos = (v: unknown, name: string, lo: number, hi: number, closedHi = false) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (closedHi ? v > hi : v >= hi)) {
      throw new UsageError(`${where}.${name} must be a number in [${lo}, ${hi}${closedHi ? ']' : ')'}, got ${JSON.stringify(v)}`);
    }
  };
  if (o.kind === 'adam') {
    checkKnownKeys(o as unknown as Record<string, unknown>, ['kind', 'learningRate', 'beta1', 'beta2', 'epsilon'], where);
    pos(o.learningRate, 'learningRate', 0, 10, true);
    pos(o.beta1, 'beta1', 0, 1);
    pos(o.beta2, 'beta2', 0, 1);
    pos(o.epsilon, 'epsilon', 0, 1, true);
    if (o.learningRate === 0 || o.epsilon === 0) throw new UsageError(`${where}: learningRate and epsilon must be above 0`);
  } else if (o.kind === 'sgd') {
    checkKnownKeys(o as unknown as Record<string, unknown>, ['kind', 'learningRate'], where);
    pos(o.learningRate, 'learningRate', 0, 10, true);
  } else {
    throw new UsageError(`${where}.kind must be "adam" or "sgd"`);
  }
}

function validateNetwork(n: NetworkSpec, where: string): void {
  if (typeof n !== 'object' || n === null || !Array.isArray(n.input) || !Array.isArray(n.layers)) {
    throw new UsageError(`${where} must be {"input": [...], "layers": [...]}`);
  }
  checkKnownKeys(n as unknown as Record<string, unknown>, ['input', 'layers'], where);
  if (!n.input.every(isPositiveInt)) throw new UsageError(`${where}.input must be a list of positive integers`);
  n.layers.forEach((layer, i) => {
    const at = `${where}.layers[${i}]`;
    if (typeof layer !== 'object' || layer === null || !isLayerKind(layer.kind)) {
      throw new UsageError(`${at}.kind must be one of: ${layerKinds.join(', ')}`);
    }
    checkKnownKeys(layer as unknown as Record<string, unknown>, ['kind', ...layerConfigKeys(layer.kind)], at);
    checkLayerValues(layer, at);
  });
  outputShape(n, where);
}

function outputShape(n: NetworkSpec, where = 'network'): number[] {
  let shape = n.input.slice();
  n.layers.forEach((layer, i) => {
    try {
      shape = layerOutputShape(layer, shape);
    } catch (e) {
      throw new UsageError(`${where}.layers[${i}]: ${(e as Error).message}`);
    }
    if (shape.some((d) => !(d >= 1))) throw new UsageError(`${where}.layers[${i}]: output shape [${shape.join(', ')}] is empty`);
  });
  return shape;
}

function isPositiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

export function checkKnownKeys(obj: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new UsageError(`${where}: unknown key '${key}'; known keys: ${known.join(', ')}`);
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
