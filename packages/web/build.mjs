// Bundles the browser code with esbuild. Each entry is one file a page or an app loads; every
// bundle targets the browser platform, so a Node built-in anywhere in its import graph fails the build.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * [source, output, format, external]: outputs land under dist/. The library (index.js) leaves TF.js
 * to the app that bundles it (one copy of tfjs-core per app); a page bundles everything it needs.
 */
const entries = [
  ['src/index.ts', 'index.js', 'esm', ['@tensorflow/tfjs']],
  ['src/exportPage/main.ts', 'exportPage.js', 'iife'],
  ['src/dashboard/main.ts', 'dashboard.js', 'esm'],
  ['src/studio/main.ts', 'studio.js', 'esm'],
  // the studio's data-file reader alone, for Node (scripts, and the test that round-trips a set)
  ['src/studio/dataFile.ts', 'studioDataFile.js', 'esm'],
];

await Promise.all(
  entries.map(([source, output, format, external = []]) =>
    build({
      entryPoints: [join(here, source)],
      outfile: join(here, 'dist', output),
      bundle: true,
      platform: 'browser',
      format,
      external,
      target: 'es2020',
      sourcemap: true,
      minify: process.env.GANTRY_WEB_DEBUG ? false : true,
      logLevel: 'warning',
    }),
  ),
);
