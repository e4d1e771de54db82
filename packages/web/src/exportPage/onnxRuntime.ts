import * as ort from 'onnxruntime-web/webgpu';
import type { ExportInfo } from '../generator/exportInfo.js';
import type { Generator } from '../generator/loadGenerator.js';
import { loadOnnxGenerator } from '../generator/onnxGenerator.js';

/** The two runtimes the page can draw with. */
export type Runtime = 'tfjs' | 'onnx';

/** ONNX Runtime Web's execution providers the page offers: WebAssembly everywhere, WebGPU where the browser has it. */
export const onnxBackends = ['wasm', 'webgpu'] as const;
export type OnnxBackendName = (typeof onnxBackends)[number];

/** Whether this browser offers a WebGPU adapter (navigator.gpu can exist without one, as with --disable-gpu). */
async function hasWebGpu(): Promise<boolean> {
  const gpu = typeof navigator !== 'undefined' ? (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu : undefined;
  try {
    return gpu !== undefined && (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/**
 * The export's model.onnx in ONNX Runtime Web on `backend`. Its WebAssembly binary comes from
 * `ort/` beside the page, never from a CDN; threads only where the page is cross-origin isolated
 * (SharedArrayBuffer), one otherwise.
 */
export async function loadOnnxOnPage(backend: OnnxBackendName): Promise<{ generator: Generator; backend: OnnxBackendName }> {
  if (backend === 'webgpu' && !(await hasWebGpu())) throw new Error('this browser offers no WebGPU; choose ONNX Runtime on WebAssembly (?backend=wasm)');
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const generator = await loadOnnxGenerator(new URL('./', location.href), ort, { executionProviders: [backend] });
  return { generator, backend };
}

/**
 * Fills the runtime picker with what this export and browser can draw with; choosing one reloads
 * the page with ?runtime= and ?backend= (a runtime's models and wasm binaries load once, at start).
 */
export async function setupRuntimePicker(select: HTMLSelectElement, info: ExportInfo, runtime: Runtime, backend: string): Promise<void> {
  const choices: { runtime: Runtime; backend: string; label: string; available: boolean }[] = [
    { runtime: 'tfjs', backend: '', label: 'TF.js (its best backend)', available: info.model !== null },
    { runtime: 'onnx', backend: 'wasm', label: 'ONNX Runtime · WebAssembly', available: Boolean(info.onnx) },
    { runtime: 'onnx', backend: 'webgpu', label: 'ONNX Runtime · WebGPU', available: Boolean(info.onnx) && (await hasWebGpu()) },
  ];
  select.replaceChildren(...choices.filter((c) => c.available).map((c) => {
    const option = new Option(c.label, `${c.runtime}:${c.backend}`);
    option.selected = c.runtime === runtime && (c.runtime === 'tfjs' || c.backend === backend);
    return option;
  }));
  select.disabled = select.options.length < 2;
  select.addEventListener('change', () => {
    const [r, b] = select.value.split(':');
    const params = new URLSearchParams(location.search);
    params.set('runtime', r!);
    if (b) params.set('backend', b);
    else params.delete('backend');
    location.search = params.toString();
  });
}
