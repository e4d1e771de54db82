import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The TF.js backends the page can use, best first. */
export const backendOrder = ['webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendOrder)[number];

/**
 * True when this browser's WebGL draws on the CPU (SwiftShader, llvmpipe: no GPU, or a GPU that
 * is blocked). TF.js' webgl backend is then slower than wasm, so the page tries wasm first.
 */
export function webglIsSoftware(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|software/i.test(renderer);
  } catch {
    return false;
  }
}

/** The order to try backends in here: webgl first, unless it is software-rendered. */
export function preferredOrder(): BackendName[] {
  return webglIsSoftware() ? ['wasm', 'webgl', 'cpu'] : [...backendOrder];
}

/**
 * Activates the first backend of `order` that this browser can run (webgl needs a GPU context,
 * wasm WebAssembly; cpu always works) and returns its name. The wasm binaries come from `wasm/`
 * beside the page, never from a CDN.
 */
export async function chooseBackend(order: readonly BackendName[] = backendOrder): Promise<BackendName> {
  setWasmPaths(new URL('wasm/', location.href).href);
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // this backend is unavailable here: try the next one
    }
  }
  throw new Error(`none of the TF.js backends ${order.join(', ')} works in this browser`);
}
