import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirectory } from '../io/directories.js';

/**
 * The files of the export page: the HTML and the bundle built by gantry-web (TF.js and ONNX
 * Runtime Web's JavaScript inside, see packages/web/build.mjs), and the WebAssembly binaries the
 * page loads from beside it so that it works offline: TF.js' wasm backend in `wasm/` (with the
 * TF.js model), ONNX Runtime Web's in `ort/` (with the ONNX model; its build with the WebGPU
 * provider, which also runs on plain WebAssembly).
 */
export interface PageAsset {
  from: string;
  /** Relative to the export folder. */
  to: string;
}

const wasmBinaries = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
/** What `onnxruntime-web/webgpu` loads (its JS glue and binary), the page's ONNX runtime. */
export const ortBinaries = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

function packageDir(specifier: string, levelsUp: number): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(specifier)));
  for (let i = 0; i < levelsUp; i++) dir = dirname(dir);
  return dir;
}

/**
 * Every page file with where it goes, for an export with the TF.js model, the ONNX model or both;
 * throws (an internal error) when gantry-web has not been built.
 */
export function pageAssets(models: { tfjs: boolean; onnx: boolean } = { tfjs: true, onnx: false }): PageAsset[] {
  const assets = pageAssetList(models);
  const missing = assets.filter((a) => !existsSync(a.from));
  if (missing.length > 0) {
    throw new Error(`the export page is not built (${missing.map((m) => m.from).join(', ')} missing); run 'npm run build -w packages/web'`);
  }
  return assets;
}

/** The same list, unchecked (the studio serves it, and says per request when it is not built). */
export function pageAssetList(models: { tfjs: boolean; onnx: boolean }): PageAsset[] {
  const web = packageDir('gantry-web', 1); // gantry-web's main is dist/index.js
  const assets: PageAsset[] = [
    { from: join(web, 'src', 'exportPage', 'index.html'), to: 'index.html' },
    { from: join(web, 'dist', 'exportPage.js'), to: 'page.js' },
    { from: join(web, 'dist', 'exportPage.css'), to: 'page.css' },
  ];
  if (models.tfjs) {
    const wasm = packageDir('@tensorflow/tfjs-backend-wasm', 0); // its main is dist/index.js, beside the binaries
    assets.push(...wasmBinaries.map((name) => ({ from: join(wasm, name), to: `wasm/${name}` })));
  }
  if (models.onnx) {
    const ort = packageDir('onnxruntime-web', 0); // Node resolves it to dist/ort.node.min.mjs, beside the binaries
    assets.push(...ortBinaries.map((name) => ({ from: join(ort, name), to: `ort/${name}` })));
  }
  return assets;
}

export function copyPageAssets(assets: PageAsset[], dir: string): void {
  for (const a of assets) {
    const target = join(dir, ...a.to.split('/'));
    makeDirectory(dirname(target), 'export folder');
    copyFileSync(a.from, target);
  }
}
