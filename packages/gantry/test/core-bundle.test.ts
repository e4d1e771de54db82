import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/**
 * gantry-core (packages/core) is what the CLI and the browser page share: every module in it must
 * bundle for the browser. esbuild's browser platform cannot resolve a Node built-in, so a Node
 * import anywhere in the core's import graph fails the bundle; the metafile shows what went in.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const coreSrc = join(repoRoot, 'packages', 'core', 'src');

function coreModules(dir = coreSrc): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return coreModules(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

async function bundle(contents: string): Promise<{ errors: string[]; inputs: string[] }> {
  try {
    const result = await build({
      stdin: { contents, resolveDir: coreSrc, loader: 'ts', sourcefile: 'app.ts' },
      absWorkingDir: repoRoot, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
    });
    return { errors: [], inputs: Object.keys((result.metafile as Metafile).inputs) };
  } catch (e) {
    return { errors: (e as { errors?: { text: string }[] }).errors?.map((x) => x.text) ?? [String(e)], inputs: [] };
  }
}

const importAll = (files: string[]) => files.map((f, i) => `import * as m${i} from './${relative(coreSrc, f)}';\nconsole.log(m${i});\n`).join('');

test('every module of the core bundles for the browser with no Node module and nothing of the Node package', async () => {
  const files = coreModules();
  assert.ok(files.length >= 35, `the core holds its modules (${files.length})`);
  for (const name of ['config.ts', 'train/gan.ts', 'models/presets.ts', 'util/random.ts', 'models/kerasExport.ts']) {
    assert.ok(files.includes(join(coreSrc, name)), `${name} is in the core`);
  }
  const { errors, inputs } = await bundle(importAll(files));
  assert.deepEqual(errors, []);
  assert.ok(inputs.some((p) => p.includes('@tensorflow/tfjs-core')), 'TF.js is bundled');
  assert.deepEqual(inputs.filter((p) => /(^|\/)node:|packages\/(gantry|web)\/|tfjs-backend-onednn|tfjs-node|sharp|hono/.test(p)), []);
});

test('the check fails on a Node import (it can fail)', async () => {
  const { errors } = await bundle(`${importAll(coreModules().slice(0, 3))}import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n`);
  assert.ok(errors.some((e) => /node:fs/.test(e)), errors.join('; '));
});
