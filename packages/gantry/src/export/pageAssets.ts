import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirectory } from '../io/directories.js';

/**
 * The files of the export page: the HTML and the bundle built by gantry-web (TF.js inside, see
 * packages/web/build.mjs), and the WebAssembly binaries of TF.js' wasm backend, which the page
 * loads from `wasm/` beside it so that it works offline.
 */
export interface PageAsset {
  from: string;
  /** Relative to the export folder. */
  to: string;
}

const wasmBinaries = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

function packageDir(specifier: string, levelsUp: number): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(specifier)));
  for (let i = 0; i < levelsUp; i++) dir = dirname(dir);
  return dir;
}

/** Every page file with where it goes; throws (an internal error) when gantry-web has not been built. */
export function pageAssets(): PageAsset[] {
  const web = packageDir('gantry-web', 1); // gantry-web's main is dist/index.js
  const wasm = packageDir('@tensorflow/tfjs-backend-wasm', 0); // its main is dist/index.js, beside the binaries
  const assets: PageAsset[] = [
    { from: join(web, 'src', 'exportPage', 'index.html'), to: 'index.html' },
    { from: join(web, 'dist', 'exportPage.js'), to: 'page.js' },
    { from: join(web, 'dist', 'exportPage.css'), to: 'page.css' },
    ...wasmBinaries.map((name) => ({ from: join(wasm, name), to: `wasm/${name}` })),
  ];
  const missing = assets.filter((a) => !existsSync(a.from));
  if (missing.length > 0) {
    throw new Error(`the export page is not built (${missing.map((m) => m.from).join(', ')} missing); run 'npm run build -w packages/web'`);
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
