import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageAssetList } from '../export/pageAssets.js';

/**
 * The studio page's files: the HTML from gantry-web's source and the bundle esbuild builds from
 * src/studio/main.ts (packages/web/build.mjs). The server and `--static` serve and copy exactly
 * this list; a file the full page later needs beside its bundle is one more line here.
 *
 * Under preview/: the export page (`gantry export`'s index.html, page.js, page.css and the wasm/
 * and ort/ binaries), which the studio's Preview button opens on a generator it exported in the
 * browser (the files come from the studio page, see exportPage/openerFiles.ts).
 */
export interface PageFile {
  /** The URL path and the name in a --static folder. */
  name: string;
  from: string;
  /** Source maps are served when built, never required. */
  optional?: boolean;
}

function webPackageDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.resolve('gantry-web')))); // its main is dist/index.js
}

export function studioPageFiles(): PageFile[] {
  const web = webPackageDir();
  return [
    { name: 'index.html', from: join(web, 'src', 'studio', 'index.html') },
    { name: 'studio.js', from: join(web, 'dist', 'studio.js') },
    { name: 'studio.css', from: join(web, 'dist', 'studio.css') },
    { name: 'studio.js.map', from: join(web, 'dist', 'studio.js.map'), optional: true },
    { name: 'studio.css.map', from: join(web, 'dist', 'studio.css.map'), optional: true },
    ...pageAssetList({ tfjs: true, onnx: true }).map((a) => ({ name: `preview/${a.to}`, from: a.from })),
  ];
}

/** The required files that are not there: the page is not built. */
export function missingPageFiles(files: PageFile[]): PageFile[] {
  return files.filter((f) => !f.optional && !existsSync(f.from));
}

export const notBuiltMessage = "the studio page is not built; run 'npm run build -w packages/web'";
