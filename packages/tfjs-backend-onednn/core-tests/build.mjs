// Bundles tfjs-core's op tests (shipped in its npm package as ES modules without file
// extensions, which Node cannot load directly) with this backend into one file that
// jasmine runs: node core-tests/build.mjs && npx jasmine dist/core-tests/bundle.mjs
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const coreDist = dirname(require.resolve('@tensorflow/tfjs-core/package.json')) + '/dist';
const testFiles = ['ops', 'ops/fused']
  .flatMap((dir) => readdirSync(join(coreDist, dir)).filter((f) => f.endsWith('_test.js')).map((f) => join(coreDist, dir, f)))
  .sort();
const out = join(here, '..', 'dist', 'core-tests');
mkdirSync(out, { recursive: true });
const entry = join(out, 'entry.js');
writeFileSync(entry, [`import '${relative(out, join(here, 'env.js'))}';`, ...testFiles.map((f) => `import '${f}';`)].join('\n') + '\n');
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  mainFields: ['module', 'main'],
  outfile: join(out, 'bundle.mjs'),
  // the addon and node built-ins load at run time; code that calls require() gets a real one
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  // the test files are imported for their side effects, which tfjs-core's package.json denies
  ignoreAnnotations: true,
  logLevel: 'warning',
});
console.error(`bundled ${testFiles.length} tfjs-core test files into ${relative(process.cwd(), join(out, 'bundle.mjs'))}`);
