// Gantry Studio's page: choose the data and the settings, train with the core's loop on this
// page's TF.js backend, watch the curves and samples, pause, and resume later (also after a
// reload) from the run kept in this browser's storage. This file only wires the modules together
// and exposes the same actions to scripts as `globalThis.gantryStudio` (see StudioApi).
import 'uplot/dist/uPlot.min.css';
import './page.css';
import type { TrainConfig } from 'gantry-core/config.js';
import { fill, h } from '../dashboard/dom.js';
import { BACKEND_TITLES, bestBackend, probeBackends, type BackendOffer, type PageBackend } from './backends.js';
import { BrowserRuns, checkRunName, type StoredRun } from './browserStore.js';
import { decodeDataFile, type StudioImageSet } from './dataFile.js';
import { fetchDataIndex, fetchDataSet, type StudioSetEntry } from './dataIndex.js';
import { dataPicker, type LoadedData } from './dataPicker.js';
import { renderPreview } from './dataPreview.js';
import { drawAndSaveSamples } from './sampleGrid.js';
import { TrainingSession, type SessionState, type StudioRunInfo } from './session.js';
import { settingsForm, type StudioSettings } from './settingsForm.js';
import { StoredRunsView } from './storedRuns.js';
import { RunTransfer, transferActions } from './runTransfer.js';
import { TrainingView } from './trainingView.js';

/** What `gantryStudio.start()` takes: the form's settings, plus the run's name, backend and built-in data set. */
export interface StartOptions extends StudioSettings {
  /** The run's folder name in browser storage; a fresh one (preset and time) when left out. */
  name?: string;
  backend?: PageBackend;
  /** A built-in set's name (mnist, fashion-mnist, emoji-google...); the loaded data, else MNIST, when left out. */
  data?: string;
}

/**
 * The page's scripting handle, for tests and the console. Every call goes through the code the
 * buttons use:
 * - `start(options)`: fills the form, then presses Start. Resolves to `{ run }` once the run is
 *   training, or to `{ refused }` (field -> message) when the form refuses the settings.
 * - `pause()`: the Pause button (the run checkpoints its step, then stops).
 * - `resume(name, { backend?, steps? })`: a stored run's Resume button. `backend` is for a run
 *   without the page's studio.json (an uploaded CLI run), which otherwise resumes on the chosen
 *   backend, or cpu; `steps` a new total, as `gantry train --resume --steps N`. A finished run's
 *   Continue button (its row's, or the one beside Pause) is this with `steps` from its "Continue
 *   to" field, refused in place when not above the step the run is at.
 * - `waitForIdle()`: resolves with the state once no run is training.
 * - `state()`: step, total, steps/s, phase, backend, the message, and the form's errors.
 * - `runs()`: the stored runs; `runFiles(name)`: a run's files as path -> base64; `keptData(name)`:
 *   the .gds of the user's images kept for a run, as base64, or null when none are kept.
 * - `backends()`: what this browser offers; `storage`: 'opfs' or 'indexeddb'; `data`: the set loaded last.
 * - `exportFiles(name)`: the files Export generator zips, as path -> base64. Download, Upload,
 *   Export and Preview are the stored runs' buttons (storedRuns.ts; Upload's file input is #upload-input).
 */
export interface StudioApi {
  ready: Promise<void>;
  data: LoadedData | null;
  start(options?: StartOptions): Promise<{ run: string } | { refused: Record<string, string> }>;
  pause(): void;
  resume(name: string, options?: { backend?: PageBackend; steps?: number }): Promise<void>;
  waitForIdle(): Promise<SessionState>;
  state(): SessionState & { errors: Record<string, string>; adapter: string };
  runs(): Promise<StoredRun[]>;
  runFiles(name: string): Promise<Record<string, string>>;
  keptData(name: string): Promise<string | null>;
  deleteRun(name: string): Promise<void>;
  backends(): BackendOffer[];
  exportFiles(name: string): Promise<Record<string, string>>;
  storage(): 'opfs' | 'indexeddb';
}

const app = document.getElementById('app')!;
let offers: BackendOffer[] = [];
let storage: BrowserRuns;
let session: TrainingSession;
let runsView: StoredRunsView;
let transfer: RunTransfer;
/** Whether the user chose a backend (a run uploaded from the CLI resumes on it; else on cpu). */
let backendPicked = false;
let currentConfig: TrainConfig | null = null;
const loadedSets = new Map<string, StudioImageSet>();
let dataIndex: Promise<StudioSetEntry[]> | null = null;

const view = new TrainingView();
const preview = h('section', { class: 'card data-preview', hidden: true });
const form = settingsForm((config) => {
  currentConfig = config;
  updateButtons();
});
const backendSelect = h('select', { id: 'backend' });
const backendDetail = h('p', { class: 'muted backend-detail', id: 'backend-detail' });
const runName = h('input', { id: 'run-name', type: 'text', placeholder: 'named from the preset and time', spellcheck: 'false', autocomplete: 'off' });
const startButton = h('button', { type: 'button', id: 'start', class: 'primary', onclick: () => void pressStart() }, 'Start');
const pauseButton = h('button', { type: 'button', id: 'pause', disabled: true, onclick: () => session.pause() }, 'Pause');
const resumeButton = h('button', { type: 'button', id: 'resume', disabled: true, onclick: () => void resumeRun(session.state.run!) }, 'Resume');
const startProblem = h('p', { class: 'field-error', id: 'start-problem', role: 'alert' });
// a finished run goes on to a new total from here too (the stored runs' rows have the same)
const continueSteps = h('input', { id: 'continue-steps', type: 'number', min: 1, step: 1 });
const continueGroup = h('div', { class: 'continue-to', id: 'continue-group', hidden: true },
  h('label', { class: 'field' }, 'Continue to', continueSteps),
  h('button', { type: 'button', id: 'continue', title: 'train this run on to the new total, as gantry train --resume --steps N', onclick: () => {
    startProblem.textContent = '';
    continueRun(session.state.run!, Number(continueSteps.value)).catch((e: Error) => refuse(e.message));
  } }, 'Continue'));

/** Bytes as base64, for scripts. */
function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const api: StudioApi = {
  ready: Promise.resolve(),
  data: null,
  async start(options = {}) {
    await api.ready;
    if (options.backend) {
      backendSelect.value = options.backend;
      describeBackend();
    }
    runName.value = options.name ?? '';
    form.apply(options);
    if (options.data) {
      const problem = await loadBuiltin(options.data);
      if (problem) return { refused: { data: problem } };
    }
    const started = await pressStart();
    if (started) return { run: started };
    const refused: Record<string, string> = form.errors();
    if (startProblem.textContent) refused.start = startProblem.textContent;
    return { refused };
  },
  pause: () => session.pause(),
  resume: (name, options) => resumeRun(name, options),
  async waitForIdle() {
    await session.idle();
    await runsView.refresh();
    return { ...session.state };
  },
  state: () => ({ ...session.state, errors: form.errors(), adapter: offers.find((o) => o.name === session.state.backend)?.detail ?? '' }),
  runs: () => storage.list(),
  async runFiles(name) {
    const out: Record<string, string> = {};
    for (const [path, bytes] of await storage.files(name)) out[path] = base64(bytes);
    return out;
  },
  async keptData(name) {
    const bytes = await storage.keptData(name);
    return bytes && base64(bytes);
  },
  deleteRun: (name) => removeRun(name),
  backends: () => offers,
  exportFiles: (name) => transfer.exportFilesBase64(name),
  storage: () => storage.kind,
};
(globalThis as unknown as { gantryStudio: StudioApi }).gantryStudio = api;

function updateButtons(): void {
  if (!session) return; // the form checks its first settings before the page is built
  const phase = session.state.phase;
  const busy = session.busy;
  startButton.disabled = busy || currentConfig === null;
  startButton.title = currentConfig === null ? 'a setting is wrong: see the message under it' : '';
  pauseButton.disabled = phase !== 'training';
  resumeButton.disabled = busy || phase !== 'paused';
  const finished = !busy && phase === 'finished';
  // a fresh default each time a run finishes: double its total
  if (finished && continueGroup.hidden) continueSteps.value = String(2 * session.state.steps);
  continueGroup.hidden = !finished;
  backendSelect.disabled = busy;
  runName.disabled = busy;
  form.setEnabled(!busy);
}

function showData(data: LoadedData): void {
  api.data = data;
  preview.hidden = false;
  renderPreview(preview, data.set, data.title, data.skipped);
  const spec = data.builtin ? data.set.source : `folder:${data.title}`;
  form.setData({ spec, height: data.set.height, width: data.set.width, channels: data.set.channels });
}

/** Fetches a built-in set once (later calls reuse it); a message when it cannot. */
async function builtinSet(name: string): Promise<{ set: StudioImageSet; entry: StudioSetEntry }> {
  dataIndex ??= fetchDataIndex();
  const entry = (await dataIndex).find((s) => s.name === name || s.source === name);
  if (!entry) throw new Error(`there is no built-in set '${name}'; choose one of: ${(await dataIndex).map((s) => s.name).join(', ')}`);
  let set = loadedSets.get(entry.name);
  if (!set) {
    set = await fetchDataSet(entry);
    loadedSets.set(entry.name, set);
  }
  return { set, entry };
}

async function loadBuiltin(name: string): Promise<string | null> {
  try {
    const { set, entry } = await builtinSet(name);
    if (api.data?.builtin !== entry.name) showData({ set, title: entry.title, builtin: entry.name, skipped: [] });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function freshName(preset: string): string {
  const t = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${preset}-${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}-${p(t.getHours())}${p(t.getMinutes())}${p(t.getSeconds())}`;
}

/** The Start button: a new run of the form's settings on the loaded data (MNIST when none is). Returns the run's name, or null when refused. */
async function pressStart(): Promise<string | null> {
  startProblem.textContent = '';
  if (session.busy) return refuse('a run is training; pause it first');
  if (!currentConfig) return null;
  if (!api.data) {
    const problem = await loadBuiltin('mnist');
    if (problem) return refuse(problem);
  }
  const config = currentConfig;
  if (!config) return null;
  const name = runName.value.trim() || freshName(config.preset);
  const bad = checkRunName(name);
  if (bad) return refuse(bad);
  if ((await storage.names()).includes(name)) return refuse(`a run named ${name} is already in this browser; resume it below, or choose another name`);
  const data = api.data!;
  const backend = backendSelect.value as PageBackend;
  const info: StudioRunInfo = { backend, dataTitle: data.title, builtin: data.builtin };
  view.reset();
  const started = session.start(name, config, data.set, info);
  void started.finally(() => void runsView.refresh());
  await untilStarted();
  return session.state.phase === 'failed' ? refuse(session.state.message) : name;
}

function refuse(message: string): null {
  startProblem.textContent = message;
  return null;
}

/** Resolves once the run has reached its first step or stopped. */
async function untilStarted(): Promise<void> {
  while (session.state.phase === 'starting') await new Promise((r) => setTimeout(r, 20));
}

/** Resume (the stored run's button, or the one beside Pause): continues from its last checkpoint. */
async function resumeRun(name: string, options: { backend?: PageBackend; steps?: number } = {}): Promise<void> {
  startProblem.textContent = '';
  if (session.busy) {
    refuse('a run is training; pause it first');
    return;
  }
  const started = session.resume(name, async (config, info) => {
    if (info.builtin) return (await builtinSet(info.builtin)).set;
    const kept = await keptSet(name);
    if (kept) return kept;
    if (api.data && !api.data.builtin && api.data.title === info.dataTitle) return api.data.set;
    throw new Error(`${name} trained on your folder ${info.dataTitle}; load that folder again above, then press Resume (${config.data})`);
  }, options.backend ?? (backendPicked ? (backendSelect.value as PageBackend) : 'cpu'), options.steps).catch((e: Error) => refuse(e.message));
  let settled = false;
  void started.finally(() => {
    settled = true;
    void runsView.refresh();
  });
  // the session takes the run only once it has read its files: until then it is not 'starting' yet
  while (!session.busy && !settled) await new Promise((r) => setTimeout(r, 20));
  await untilStarted();
}

/** The images kept for run `name` when it started on the user's folder; null when none are (or they cannot be read), and the page asks for the folder. */
async function keptSet(name: string): Promise<StudioImageSet | null> {
  try {
    const bytes = await storage.keptData(name);
    return bytes && decodeDataFile(bytes, `the images kept for ${name}`);
  } catch (e) {
    console.warn(e);
    return null;
  }
}

/**
 * Continue (a finished run's): resumes `name` to the new total `total`, as
 * `gantry train --resume --steps N`. A total that is not a whole number above the step the run is
 * at is refused before anything starts. Resolves to the line to show; rejects with the refusal.
 */
async function continueRun(name: string, total: number): Promise<string> {
  if (session.busy) throw new Error('a run is training; pause it first');
  const at = (await storage.describe(name)).lastStep ?? 0;
  if (!Number.isSafeInteger(total) || total <= at) {
    throw new Error(`${name} is at step ${at.toLocaleString('en')}: continue it to a whole number of steps above that`);
  }
  await resumeRun(name, { steps: total });
  if (session.state.run === name && session.state.phase === 'failed') throw new Error(session.state.message);
  return `continuing ${name} from step ${at.toLocaleString('en')} to ${total.toLocaleString('en')}`;
}

async function removeRun(name: string): Promise<void> {
  if (session.busy && session.state.run === name) return;
  await storage.remove(name);
  await runsView.refresh();
}

/** The chosen backend's line under the select: its adapter or renderer, or why it is missing. */
function describeBackend(): void {
  const o = offers.find((x) => x.name === backendSelect.value);
  backendDetail.textContent = o?.detail ?? '';
}

function backendOptions(): void {
  fill(backendSelect, offers.map((o) => h('option', { value: o.name, disabled: !o.available }, `${BACKEND_TITLES[o.name]}${o.available ? '' : ' (not available)'}`)));
  backendSelect.value = bestBackend(offers);
  backendSelect.addEventListener('change', describeBackend);
  backendSelect.addEventListener('change', () => (backendPicked = true));
  describeBackend();
}

async function boot(): Promise<void> {
  // ?storage=indexeddb keeps runs in IndexedDB even where OPFS works (the fallback, for tests)
  const prefer = new URLSearchParams(location.search).get('storage') === 'indexeddb' ? 'indexeddb' : undefined;
  [offers, storage] = await Promise.all([probeBackends(), BrowserRuns.open(prefer)]);
  backendOptions();
  transfer = new RunTransfer(storage);
  runsView = new StoredRunsView(storage, {
    resume: (name) => void resumeRun(name),
    continueTo: (name, total) => continueRun(name, total),
    remove: (name) => void removeRun(name),
    ...transferActions(transfer, { busy: () => session.busy, current: () => session.state.run }),
  });
  session = new TrainingSession(storage, {
    onState(state) {
      view.showState(state);
      view.showBackend(state.backend, offers.find((o) => o.name === state.backend)?.detail ?? '');
      runsView.setBusy(session.busy);
      updateButtons();
    },
    onLog: (record) => view.add(record),
    onRunOpened(_name, _config, history, store) {
      view.reset(history);
      view.clearSamples();
      // a resumed run shows the last grid it saved until it draws a new one
      const upTo = history.reduce((m, r) => Math.max(m, r.step), 0);
      void store.list('samples').then(async (names) => {
        const last = names.filter((n) => /^step-\d{9}\.png$/.test(n) && Number(n.slice(5, 14)) <= upTo).pop();
        const png = last ? await store.read(`samples/${last}`) : null;
        if (png && view.canvas.dataset.step === undefined) await view.showSavedSamples(png, Number(last!.slice(5, 14)));
      }).catch(() => { /* no saved grid to show */ });
    },
    async onSamples(step, gan, config, store) {
      await drawAndSaveSamples(gan, config, step, view.canvas, store);
      view.sampleDrawn(step);
    },
  });

  const picker = dataPicker({ onLoad: showData });
  const training = h('section', { class: 'card training' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Training')),
    h('div', { class: 'controls' },
      h('label', { class: 'field' }, 'Backend', backendSelect),
      h('label', { class: 'field grow' }, 'Run name', runName),
      h('div', { class: 'buttons' }, startButton, pauseButton, resumeButton),
      continueGroup),
    backendDetail,
    startProblem,
    view.status);
  fill(app,
    h('div', { class: 'column left' }, picker, preview, form.el),
    h('div', { class: 'column right' }, training, h('div', { class: 'live-row' }, view.samples, view.charts)),
    runsView.el);
  updateButtons();
  view.showState(session.state);
  await runsView.refresh();
}

api.ready = boot().catch((e: Error) => {
  fill(app, h('p', { class: 'card error' }, `The studio could not start: ${e.message}`));
  throw e;
});
