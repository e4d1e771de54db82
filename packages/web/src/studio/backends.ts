// Which TF.js backend the page trains on: WebGPU, WebGL or the plain JavaScript CPU backend. What
// this browser offers is found once, without switching (a switch compiles shaders and cannot be
// undone cheaply); the chosen one is set just before a run starts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

export type PageBackend = 'webgpu' | 'webgl' | 'cpu';

/** Best first: the order `auto` takes. */
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'cpu'];

export const BACKEND_TITLES: Record<PageBackend, string> = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'CPU (JavaScript)' };

export interface BackendOffer {
  name: PageBackend;
  available: boolean;
  /** Why it is missing, or what runs it (the GPU adapter, the WebGL renderer). */
  detail: string;
}

interface GpuAdapterInfo { vendor?: string; architecture?: string; device?: string; description?: string }
interface GpuLike { requestAdapter(): Promise<{ info?: GpuAdapterInfo; requestAdapterInfo?: () => Promise<GpuAdapterInfo> } | null> }

/** The WebGPU adapter's name as one line (vendor, architecture, device, description), or why there is none. */
export async function webgpuAdapter(): Promise<{ ok: boolean; detail: string }> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { ok: false, detail: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, detail: 'WebGPU found no GPU adapter' };
    const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
    const words = [info.vendor, info.architecture, info.device, info.description].filter((w): w is string => !!w && w.length > 0);
    return { ok: true, detail: words.length > 0 ? [...new Set(words)].join(' · ') : 'an unnamed adapter' };
  } catch (e) {
    return { ok: false, detail: `WebGPU failed: ${(e as Error).message}` };
  }
}

/** The WebGL renderer's name (unmasked where the browser tells it), or why there is none. */
function webglRenderer(): { ok: boolean; detail: string } {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return { ok: false, detail: 'this browser has no WebGL 2' };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { ok: true, detail: name };
  } catch (e) {
    return { ok: false, detail: `WebGL failed: ${(e as Error).message}` };
  }
}

/** What this browser offers, best first. */
export async function probeBackends(): Promise<BackendOffer[]> {
  const gpu = await webgpuAdapter();
  const gl = webglRenderer();
  return [
    { name: 'webgpu', available: gpu.ok, detail: gpu.detail },
    { name: 'webgl', available: gl.ok, detail: gl.detail },
    { name: 'cpu', available: true, detail: 'plain JavaScript on this page’s thread: slow, but the same numbers as gantry train --backend cpu' },
  ];
}

/** The best available backend. */
export function bestBackend(offers: readonly BackendOffer[]): PageBackend {
  return offers.find((o) => o.available)?.name ?? 'cpu';
}

/** Makes `name` TF.js's backend; throws with a sentence when it cannot start. */
export async function useBackend(name: PageBackend): Promise<void> {
  if (tf.getBackend() === name) return;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(`the ${BACKEND_TITLES[name]} backend did not start: ${(e as Error).message}`);
  }
  if (!ok) throw new Error(`the ${BACKEND_TITLES[name]} backend did not start in this browser; choose another`);
  await tf.ready();
}
