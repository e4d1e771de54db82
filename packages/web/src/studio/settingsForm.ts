// The run's settings: a preset and the main knobs over it, checked by the core's own
// resolveTrainConfig on every edit. Its UsageError names the setting it refuses; the message is
// shown under the field for that setting, and the form is not valid while any message stands.
import { resolveTrainConfig, type TrainConfig, type TrainOverrides } from 'gantry-core/config.js';
import { adversarialLosses } from 'gantry-core/losses/adversarial.js';
import { defaultPresetName, getPreset, presetNames } from 'gantry-core/models/presets.js';
import { imageShapeOf } from 'gantry-core/train/images.js';
import { h } from '../dashboard/dom.js';

/** Settings as scripts give them (`gantryStudio.start(settings)`); every one optional. */
export interface StudioSettings {
  preset?: string;
  steps?: number;
  batchSize?: number;
  lrG?: number;
  lrD?: number;
  seed?: number;
  loss?: string;
  logEvery?: number;
  sampleEvery?: number;
  sampleCount?: number;
  checkpointEvery?: number;
  /** More settings as config-file JSON (networks, regularizer, ...), under the fields above. */
  extra?: Record<string, unknown>;
}

/** The data the settings are checked against: its spec (config.data) and image shape. */
export interface DataShape {
  spec: string;
  height: number;
  width: number;
  channels: number;
}

type FieldName = 'preset' | 'steps' | 'batchSize' | 'lrG' | 'lrD' | 'seed' | 'loss' | 'logEvery' | 'sampleEvery' | 'sampleCount' | 'checkpointEvery' | 'extra';

/** Where a message about a config key is shown. */
const FIELD_OF_KEY: Record<string, FieldName> = {
  preset: 'preset', data: 'preset', steps: 'steps', epochs: 'steps', batchSize: 'batchSize', seed: 'seed', loss: 'loss',
  logEvery: 'logEvery', sampleEvery: 'sampleEvery', sampleCount: 'sampleCount', checkpointEvery: 'checkpointEvery',
};

/** The field a UsageError's message is about: its first config key ("settings: batchSize must…", "settings: optimizerG.learningRate…"). */
export function fieldOfMessage(message: string): FieldName {
  const m = /^settings(?::\s*|\.)([A-Za-z]+)(?:\.([A-Za-z]+))?/.exec(message);
  const key = m?.[1] ?? '';
  if (key === 'optimizerG' || key === 'optimizerD') return m?.[2] === 'learningRate' || m?.[2] === undefined ? (key === 'optimizerG' ? 'lrG' : 'lrD') : 'extra';
  if (/^unknown preset/.test(message)) return 'preset';
  return FIELD_OF_KEY[key] ?? 'extra';
}

/** The preset the CLI would pick for a data set: the default when it fits, else the first made for that data, else the first of its shape. */
export function defaultPresetFor(data: DataShape): string {
  const fits = (name: string) => {
    const p = getPreset(name)!;
    const [ph, pw, pc] = p.discriminator.input;
    return ph === data.height && pw === data.width && pc === data.channels;
  };
  const family = (spec: string) => spec.split(':')[0];
  const names = presetNames();
  if (getPreset(defaultPresetName)!.data === data.spec) return defaultPresetName;
  return names.find((n) => getPreset(n)!.data === data.spec && fits(n))
    ?? names.find((n) => family(getPreset(n)!.data) === family(data.spec) && fits(n))
    ?? names.find(fits)
    ?? defaultPresetName;
}

export interface SettingsForm {
  el: HTMLElement;
  /** The resolved config, or null while a field is wrong. */
  readonly config: TrainConfig | null;
  /** Puts values into the fields (a script's settings, a preset's defaults) and checks them. */
  apply(settings: StudioSettings): void;
  /** Checks again for other data (the preset defaults to the data's own when it was never chosen). */
  setData(data: DataShape): void;
  /** The messages now shown, field -> message. */
  errors(): Record<string, string>;
  setEnabled(enabled: boolean): void;
}

export function settingsForm(onChange: (config: TrainConfig | null) => void): SettingsForm {
  let data: DataShape = { spec: 'mnist', height: 28, width: 28, channels: 1 };
  let presetChosen = false;
  let config: TrainConfig | null = null;
  const messages = new Map<FieldName, string>();

  const num = (name: FieldName, label: string, attrs: Record<string, string | number> = {}) => {
    const input = h('input', { type: 'number', id: `set-${name}`, name, step: 'any', ...attrs });
    return { name, label, control: input as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement };
  };
  const preset = h('select', { id: 'set-preset', name: 'preset' }, presetNames().map((n) => h('option', { value: n }, n)));
  const loss = h('select', { id: 'set-loss', name: 'loss' }, Object.keys(adversarialLosses).map((n) => h('option', { value: n }, n)));
  const extra = h('textarea', { id: 'set-extra', name: 'extra', rows: 4, spellcheck: 'false', placeholder: '{"generator": {"input": [100], "layers": [...]}} — any config-file keys' });
  const fields = [
    { name: 'preset' as FieldName, label: 'Preset', control: preset as HTMLSelectElement },
    num('steps', 'Steps', { min: 1 }),
    num('batchSize', 'Batch size', { min: 1 }),
    num('lrG', 'Learning rate G'),
    num('lrD', 'Learning rate D'),
    { name: 'loss' as FieldName, label: 'Loss', control: loss as HTMLSelectElement },
    num('seed', 'Seed', { min: 0 }),
    num('logEvery', 'Log every', { min: 1 }),
    num('sampleEvery', 'Samples every', { min: 1 }),
    num('sampleCount', 'Samples', { min: 1 }),
    num('checkpointEvery', 'Checkpoint every', { min: 1 }),
  ];
  const errorEls = new Map<FieldName, HTMLElement>();
  const wrap = (f: { name: FieldName; label: string; control: HTMLElement }, cls = '') => {
    const err = h('span', { class: 'field-error', id: `err-${f.name}`, role: 'alert' });
    errorEls.set(f.name, err);
    return h('label', { class: `field ${cls}`, 'data-field': f.name }, f.label, f.control, err);
  };
  const description = h('p', { class: 'preset-description muted' });
  const showNetworks = h('button', { type: 'button', class: 'link', onclick: () => {
    const p = getPreset(preset.value);
    if (p) extra.value = JSON.stringify({ generator: p.generator, discriminator: p.discriminator }, null, 1);
    check();
  } }, 'fill in the preset’s networks');

  const el = h('section', { class: 'card settings' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Model and settings')),
    h('div', { class: 'preset-row' }, wrap(fields[0]!, 'wide'), description),
    h('div', { class: 'grid-fields' }, fields.slice(1).map((f) => wrap(f))),
    h('details', { class: 'more' },
      h('summary', {}, 'More settings (JSON)'),
      wrap({ name: 'extra', label: 'Config-file keys, under the fields above', control: extra }, 'wide'),
      showNetworks));

  const byName = (name: FieldName) => fields.find((f) => f.name === name)!.control;

  /** Fills the fields with a preset's values. */
  const fillPreset = (name: string) => {
    const p = getPreset(name);
    if (!p) return;
    const d = resolveTrainConfig({}, { preset: name });
    preset.value = name;
    description.textContent = p.description;
    const values: Partial<Record<FieldName, string | number>> = {
      steps: d.steps, batchSize: d.batchSize, lrG: d.optimizerG.learningRate, lrD: d.optimizerD.learningRate, loss: d.loss,
      seed: d.seed, logEvery: d.logEvery, sampleEvery: d.sampleEvery, sampleCount: d.sampleCount, checkpointEvery: d.checkpointEvery,
    };
    for (const [k, v] of Object.entries(values)) byName(k as FieldName).value = String(v);
  };

  const number = (name: FieldName): number | undefined => {
    const raw = byName(name).value.trim();
    return raw === '' ? undefined : Number(raw);
  };

  const show = () => {
    for (const [name, el] of errorEls) {
      const m = messages.get(name) ?? '';
      el.textContent = m;
      el.closest('label')!.classList.toggle('invalid', m !== '');
    }
  };

  const check = () => {
    messages.clear();
    config = null;
    let fileConfig: Record<string, unknown> = {};
    const text = extra.value.trim();
    if (text !== '') {
      try {
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it must be one JSON object');
        fileConfig = parsed as Record<string, unknown>;
      } catch (e) {
        messages.set('extra', `not valid JSON: ${(e as Error).message}`);
      }
    }
    if (!messages.has('extra')) {
      try {
        const base = getPreset(preset.value);
        const opt = (key: 'optimizerG' | 'optimizerD', lr: number | undefined) => {
          const from = (fileConfig[key] ?? base?.[key]) as TrainOverrides['optimizerG'];
          return lr === undefined || !from ? undefined : { ...from, learningRate: lr };
        };
        const flags: TrainOverrides = {
          preset: preset.value, data: data.spec,
          steps: number('steps'), batchSize: number('batchSize'), seed: number('seed'), loss: loss.value as TrainConfig['loss'],
          logEvery: number('logEvery'), sampleEvery: number('sampleEvery'), sampleCount: number('sampleCount'), checkpointEvery: number('checkpointEvery'),
          optimizerG: opt('optimizerG', number('lrG')), optimizerD: opt('optimizerD', number('lrD')),
        };
        const resolved = resolveTrainConfig(fileConfig, flags, 'settings');
        const shape = imageShapeOf(resolved);
        if (shape.height !== data.height || shape.width !== data.width || shape.channels !== data.channels) {
          messages.set('preset', `${resolved.preset} trains on ${shape.height}×${shape.width}×${shape.channels} images but the data is ${data.height}×${data.width}×${data.channels}; choose a preset made for this data`);
        } else {
          config = resolved;
        }
      } catch (e) {
        const message = (e as Error).message;
        messages.set(fieldOfMessage(message), message);
      }
    }
    if (messages.has('extra')) (el.querySelector('details.more') as HTMLDetailsElement).open = true;
    show();
    onChange(config);
  };

  preset.addEventListener('change', () => {
    presetChosen = true;
    fillPreset(preset.value);
    check();
  });
  for (const f of fields.slice(1)) f.control.addEventListener('input', check);
  loss.addEventListener('change', check);
  extra.addEventListener('input', check);

  fillPreset(defaultPresetFor(data));
  check();

  return {
    el,
    get config() {
      return config;
    },
    apply(settings) {
      // the preset's values first, then the settings given: the same settings give the same run
      if (settings.preset !== undefined) {
        presetChosen = true;
        preset.value = settings.preset;
        if (preset.value !== settings.preset) {
          // not in the list: keep the name for the core to refuse by name
          preset.append(h('option', { value: settings.preset }, settings.preset));
          preset.value = settings.preset;
        }
      }
      fillPreset(preset.value);
      for (const k of ['steps', 'batchSize', 'lrG', 'lrD', 'seed', 'logEvery', 'sampleEvery', 'sampleCount', 'checkpointEvery'] as const) {
        if (settings[k] !== undefined) byName(k).value = String(settings[k]);
      }
      if (settings.loss !== undefined) loss.value = settings.loss;
      extra.value = settings.extra ? JSON.stringify(settings.extra) : '';
      check();
    },
    setData(d) {
      data = d;
      // the data's own preset, unless one was chosen; the fields are refilled only when it changes,
      // so edits made before the data arrives (Start with nothing chosen) stand
      const want = defaultPresetFor(d);
      if (!presetChosen && want !== preset.value) fillPreset(want);
      check();
    },
    errors() {
      return Object.fromEntries(messages);
    },
    setEnabled(enabled) {
      for (const f of [...fields.map((x) => x.control), extra]) f.disabled = !enabled;
      showNetworks.disabled = !enabled;
    },
  };
}
