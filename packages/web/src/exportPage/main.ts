import './page.css';
import type { ExportInfo } from '../generator/exportInfo.js';
import { normalLatents, slerp } from '../generator/latents.js';
import { loadGenerator, readExportInfo, type GeneratedImages, type Generator } from '../generator/loadGenerator.js';
import { backendOrder, chooseBackend, preferredOrder, webglIsSoftware, type BackendName } from './backend.js';
import { cellAt, downloadPng, drawGrid, drawSingle } from './drawing.js';
import { loadOnnxOnPage, onnxBackends, setupRuntimePicker, type OnnxBackendName, type Runtime } from './onnxRuntime.js';
import { useOpenerFiles } from './openerFiles.js';

/**
 * The export page: a grid of samples, re-roll, a class picker for conditional generators, a
 * latent walk (slerp) with a slider and an animation, PNG download and the model's facts.
 * Two runtimes draw, chosen on the page (?runtime=tfjs|onnx): TF.js from the LayersModel and
 * ONNX Runtime Web from model.onnx, whichever the export holds (TF.js where it has both).
 * TF.js' backend: webgl, else wasm, else cpu (wasm first where WebGL is software-rendered);
 * ?backend=webgl|wasm|cpu forces one. ONNX Runtime's: wasm, or webgpu where the browser offers
 * it (?backend=wasm|webgpu). ?grid=N sets the number of samples (default 64). ?files=opener: the
 * export comes from the studio page that opened this one (openerFiles.ts).
 *
 * `window.gantryPage` is the page's JS API (tests and benchmarks drive it): `ready` resolves once
 * the first grid is drawn; `generateUnit(z, labels?)` returns pixels in [0, 1], NHWC.
 */
export interface GantryPageApi {
  ready: Promise<void>;
  runtime: Runtime | null;
  backend: BackendName | OnnxBackendName | null;
  info: ExportInfo | null;
  /** Milliseconds from script start to the first grid on screen. */
  firstGridMs: number | null;
  generateUnit(z: number[], labels?: number[]): Promise<number[]>;
  /** Draws a new grid of `count` samples and returns how long it took, in ms. */
  timeGrid(count: number, seed: number): Promise<number>;
}

declare global {
  interface Window {
    gantryPage: GantryPageApi;
  }
}

const started = performance.now();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const gap = 1;

const state = {
  generator: null as Generator | null,
  seed: 1,
  classChoice: -1, // -1: classes in turn
  grid: null as GeneratedImages | null,
  gridZ: null as Float32Array | null,
  gridLabels: null as Int32Array | null,
  walkA: null as { z: Float32Array; label: number } | null,
  walkB: null as { z: Float32Array; label: number } | null,
  playing: false,
  busy: Promise.resolve() as Promise<unknown>,
};

function gridCount(): number {
  const n = Number(params.get('grid') ?? 64);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : 64;
}

function columns(count: number): number {
  return Math.ceil(Math.sqrt(count));
}

function labelsFor(count: number, offset = 0): Int32Array | undefined {
  const g = state.generator!;
  if (g.classCount === 0) return undefined;
  return Int32Array.from({ length: count }, (_, i) => (state.classChoice >= 0 ? state.classChoice : (offset + i) % g.classCount));
}

/** Runs jobs one after another: TF.js work from a click never overlaps a running one. */
function serial<T>(job: () => Promise<T>): Promise<T> {
  const next = state.busy.then(job, job);
  state.busy = next.catch(() => undefined);
  return next;
}

async function drawNewGrid(count: number): Promise<number> {
  const g = state.generator!;
  const t0 = performance.now();
  const z = normalLatents(count, g.latentDim, state.seed);
  const labels = labelsFor(count);
  const images = await g.generate(z, labels);
  drawGrid($('grid'), images, columns(count), gap);
  const ms = performance.now() - t0;
  Object.assign(state, { grid: images, gridZ: z, gridLabels: labels ?? null });
  $('timing').textContent = `${count} samples in ${ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`}`;
  $('grid').setAttribute('aria-label', `A grid of ${count} generated images, seed ${state.seed}`);
  return ms;
}

function latentOf(i: number): { z: Float32Array; label: number } {
  const d = state.generator!.latentDim;
  return { z: state.gridZ!.slice(i * d, (i + 1) * d), label: state.gridLabels ? state.gridLabels[i]! : -1 };
}

async function drawWalkEnds(): Promise<void> {
  const g = state.generator!;
  const ends = [state.walkA!, state.walkB!];
  const z = new Float32Array(2 * g.latentDim);
  z.set(ends[0]!.z, 0);
  z.set(ends[1]!.z, g.latentDim);
  const images = await g.generate(z, g.classCount ? ends.map((e) => e.label) : undefined);
  drawSingle($('walk-a'), images, 0);
  drawSingle($('walk-b'), images, 1);
  await drawWalkAt(Number(($('walk-slider') as HTMLInputElement).value) / 1000);
}

async function drawWalkAt(t: number): Promise<void> {
  const g = state.generator!;
  const a = state.walkA!;
  const b = state.walkB!;
  // Between two classes the class switches half way; the latent moves smoothly.
  const label = g.classCount ? [t < 0.5 ? a.label : b.label] : undefined;
  const images = await g.generate(slerp(a.z, b.z, t), label);
  drawSingle($('walk-view'), images, 0);
  $('walk-t').textContent = `t = ${t.toFixed(2)}`;
}

function newWalkEnds(): void {
  const g = state.generator!;
  const seed = (state.seed * 7919 + 17) >>> 0;
  const z = normalLatents(2, g.latentDim, seed);
  const classes = labelsFor(2, Math.floor(Math.random() * Math.max(1, g.classCount)));
  state.walkA = { z: z.slice(0, g.latentDim), label: classes ? classes[0]! : -1 };
  state.walkB = { z: z.slice(g.latentDim), label: classes ? classes[1]! : -1 };
}

function animate(): void {
  if (!state.playing) return;
  const slider = $('walk-slider') as HTMLInputElement;
  const value = (Number(slider.value) + 10) % 1001;
  slider.value = String(value);
  void serial(() => drawWalkAt(value / 1000)).then(() => requestAnimationFrame(animate));
}

function showInfo(info: ExportInfo, runtime: Runtime, backend: string): void {
  // the files the runtime in use reads: model.onnx, or the TF.js model's weights
  const modelFiles = info.files.filter((f) => (runtime === 'onnx' ? f.path === info.onnx?.model : f.path !== info.onnx?.model));
  const shape = `${info.image.width} x ${info.image.height}, ${info.image.channels === 1 ? 'grayscale' : 'RGB'}`;
  const rows: [string, string][] = [
    ['Preset', info.preset ?? 'custom'],
    ['Trained on', info.data],
    ['Step', info.step.toLocaleString('en')],
    ['Weights', info.weights === 'ema' ? 'EMA of G' : 'trained G'],
    ['Image', shape],
    ['Latent size', String(info.latentDim)],
    ['Classes', info.classes ? `${info.classes.count} (${info.classes.names.slice(0, 4).join(', ')}${info.classes.count > 4 ? ', …' : ''})` : 'none'],
    ['Best FID', info.bestFid ? `${info.bestFid.value.toFixed(1)} at step ${info.bestFid.step.toLocaleString('en')}` : 'not evaluated'],
    ['Model size', `${(modelFiles.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(2)} MB`],
    ['Runtime', backend],
    ['Gantry', info.gantryVersion],
  ];
  const dl = $('info');
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
  $('title').textContent = info.preset ? `${info.preset}` : 'Generator';
  $('subtitle').textContent = `A GAN generator trained with Gantry for ${info.step.toLocaleString('en')} steps, drawing in your browser.`;
  document.title = `${info.preset ?? 'Generator'} · Gantry`;
}

function setupClassPicker(info: ExportInfo): void {
  if (!info.classes) return;
  const select = $('class-select') as HTMLSelectElement;
  select.replaceChildren(
    new Option('All, in turn', '-1'),
    ...info.classes.names.map((name, i) => new Option(name, String(i))),
  );
  $('class-field').hidden = false;
  select.addEventListener('change', () => {
    state.classChoice = Number(select.value);
    void serial(() => drawNewGrid(gridCount()));
  });
}

function wireControls(): void {
  $('reroll').addEventListener('click', () => {
    state.seed += 1;
    void serial(() => drawNewGrid(gridCount()));
  });
  $('download').addEventListener('click', () => {
    downloadPng($('grid'), `${state.generator!.info.preset ?? 'generator'}-seed${state.seed}.png`, 768);
  });
  $('grid').addEventListener('click', (event) => {
    const i = state.grid ? cellAt($('grid'), event, state.grid, columns(state.grid.count), gap) : -1;
    if (i < 0) return;
    if (event.shiftKey) state.walkB = latentOf(i);
    else state.walkA = latentOf(i);
    void serial(drawWalkEnds);
  });
  $('new-ends').addEventListener('click', () => {
    newWalkEnds();
    void serial(drawWalkEnds);
  });
  const slider = $('walk-slider') as HTMLInputElement;
  slider.addEventListener('input', () => void serial(() => drawWalkAt(Number(slider.value) / 1000)));
  $('play').addEventListener('click', () => {
    state.playing = !state.playing;
    $('play').textContent = state.playing ? 'Pause' : 'Play';
    $('play').setAttribute('aria-pressed', String(state.playing));
    if (state.playing) animate();
  });
  for (const id of ['reroll', 'download', 'new-ends', 'play', 'walk-slider']) ($(id) as HTMLButtonElement).disabled = false;
}

/** TF.js on the backend the page picks or ?backend= names. */
async function startTfjs(forced: string | null): Promise<{ generator: Generator; backend: BackendName; title?: string }> {
  if (forced && !backendOrder.includes(forced as BackendName)) throw new Error(`?backend=${forced} is not one of TF.js' ${backendOrder.join(', ')}`);
  const backend = await chooseBackend(forced ? [forced as BackendName] : preferredOrder());
  const title = !forced && backend !== 'webgl' && webglIsSoftware() ? 'WebGL is software-rendered in this browser, so the page uses the faster WebAssembly backend' : undefined;
  return { generator: await loadGenerator(new URL('./', location.href)), backend, title };
}

async function start(api: GantryPageApi): Promise<void> {
  await useOpenerFiles(params); // Gantry Studio's preview: the export comes from the studio page
  const { info } = await readExportInfo(new URL('./', location.href), globalThis.fetch.bind(globalThis));
  const asked = params.get('runtime');
  if (asked !== null && asked !== 'tfjs' && asked !== 'onnx') throw new Error(`?runtime=${asked} is not one of tfjs, onnx`);
  const runtime: Runtime = (asked as Runtime | null) ?? (info.model ? 'tfjs' : 'onnx');
  if (runtime === 'tfjs' && !info.model) throw new Error('this export has no TF.js model (it was exported with --format onnx); use ?runtime=onnx');
  if (runtime === 'onnx' && !info.onnx) throw new Error('this export has no ONNX model (export it with --format onnx or all); use ?runtime=tfjs');
  const forced = params.get('backend');
  if (runtime === 'onnx' && forced && !onnxBackends.includes(forced as OnnxBackendName)) throw new Error(`?backend=${forced} is not one of ONNX Runtime's ${onnxBackends.join(', ')}`);
  const loaded: { generator: Generator; backend: BackendName | OnnxBackendName; title?: string } =
    runtime === 'tfjs' ? await startTfjs(forced) : await loadOnnxOnPage((forced as OnnxBackendName | null) ?? 'wasm');
  const { generator, backend } = loaded;
  api.runtime = runtime;
  api.backend = backend;
  const badge = $('backend');
  badge.textContent = `${runtime === 'tfjs' ? 'TF.js' : 'ONNX Runtime'}: ${backend}`;
  if (loaded.title) badge.title = loaded.title;
  badge.classList.add('ok');
  await setupRuntimePicker($('runtime-select') as HTMLSelectElement, info, runtime, backend);
  state.generator = generator;
  api.info = generator.info;
  showInfo(generator.info, runtime, `${runtime === 'tfjs' ? 'TF.js' : `ONNX Runtime Web (opset ${info.onnx!.opset})`}, ${backend}`);
  setupClassPicker(generator.info);
  await drawNewGrid(gridCount());
  api.firstGridMs = performance.now() - started;
  newWalkEnds();
  await drawWalkEnds();
  wireControls();
}

const api: GantryPageApi = {
  ready: Promise.resolve(),
  runtime: null,
  backend: null,
  info: null,
  firstGridMs: null,
  generateUnit: (z, labels) => serial(async () => Array.from((await state.generator!.generate(z, labels)).unit)),
  timeGrid: (count, seed) => serial(async () => {
    state.seed = seed;
    return drawNewGrid(count);
  }),
};
api.ready = start(api).catch((e: unknown) => {
  const box = $('error');
  box.textContent = `This page could not start: ${(e as Error).message ?? String(e)}`;
  box.hidden = false;
  throw e;
});
window.gantryPage = api;
