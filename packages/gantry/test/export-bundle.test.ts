import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/**
 * The browser code must not pull Node, the trainer or the native backend into a page. esbuild
 * bundles for the browser platform, where a Node built-in cannot be resolved, so a Node import
 * anywhere in the graph fails the bundle; the metafile then shows every file that went in.
 */
const gantryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const webRoot = join(gantryRoot, '..', 'web');

async function bundleForBrowser(contents: string, resolveDir: string): Promise<{ errors: string[]; inputs: string[] }> {
  try {
    const result = await build({
      stdin: { contents, resolveDir, loader: 'ts', sourcefile: 'app.ts' },
      // the metafile names inputs relative to this folder (the repository root), whatever the cwd
      absWorkingDir: join(gantryRoot, '..', '..'),
      bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
      loader: { '.css': 'empty' },
    });
    return { errors: [], inputs: Object.keys((result.metafile as Metafile).inputs) };
  } catch (e) {
    const errors = (e as { errors?: { text: string }[] }).errors?.map((x) => x.text) ?? [String(e)];
    return { errors, inputs: [] };
  }
}

/**
 * Files of the Node package that a page may bundle, each only while it imports nothing: gantry.json's
 * types and its one check (export/format.ts), the studio's data-file layout (studio/dataFormat.ts),
 * and how a folder of images is read (data/imageFileRules.ts).
 */
const sharedWithBrowser = ['packages/gantry/src/export/format.ts', 'packages/gantry/src/studio/dataFormat.ts', 'packages/gantry/src/data/imageFileRules.ts'];

/** Inputs that must never reach a browser bundle. */
function forbidden(inputs: string[]): string[] {
  return inputs.filter((p) => !sharedWithBrowser.includes(p) && /(^|\/)node:|packages\/gantry\/(src|dist)\/|tfjs-backend-onednn|tfjs-node|@hono\/node-server/.test(p));
}

test('the files the browser shares with the Node package import nothing', () => {
  for (const file of sharedWithBrowser) {
    const source = readFileSync(join(gantryRoot, '..', '..', file), 'utf8');
    assert.deepEqual(source.match(/^\s*(import|export .* from)\b.*$/gm) ?? [], [], file);
  }
});

test("`import { loadGenerator } from 'gantry/web'` bundles for the browser with no Node module, trainer or native backend", async () => {
  const { errors, inputs } = await bundleForBrowser("import { loadGenerator, normalLatents } from 'gantry/web';\nconsole.log(loadGenerator, normalLatents);\n", gantryRoot);
  assert.deepEqual(errors, []);
  assert.ok(inputs.some((p) => p.includes('packages/web/')), `the bundle holds gantry-web: ${inputs.slice(0, 5).join(', ')}`);
  assert.ok(inputs.some((p) => p.includes('@tensorflow/tfjs-layers')), 'the bundle holds TF.js');
  assert.deepEqual(forbidden(inputs), []);
});

test('the export page bundles for the browser with no Node module, trainer or native backend', async () => {
  const { errors, inputs } = await bundleForBrowser("import './src/exportPage/main.ts';\n", webRoot);
  assert.deepEqual(errors, []);
  assert.ok(inputs.some((p) => p.includes('tfjs-backend-wasm')), 'the page bundles the wasm backend');
  assert.deepEqual(forbidden(inputs), []);
});

test('the studio page bundles for the browser with no Node module, trainer or native backend', async () => {
  const { errors, inputs } = await bundleForBrowser("import './src/studio/main.ts';\n", webRoot);
  assert.deepEqual(errors, []);
  assert.ok(inputs.includes('packages/gantry/src/studio/dataFormat.ts'), 'the page reads the shared data-file layout');
  assert.deepEqual(forbidden(inputs), []);
});

test('the check fails on a Node import and on the trainer (it can fail)', async () => {
  const node = await bundleForBrowser("import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n", gantryRoot);
  assert.ok(node.errors.length > 0 && /node:fs/.test(node.errors.join(' ')), node.errors.join('; '));
  const trainer = await bundleForBrowser("import { kerasGenerator } from './src/models/kerasExport.ts';\nconsole.log(kerasGenerator);\n", gantryRoot);
  assert.ok(trainer.errors.length > 0 || forbidden(trainer.inputs).length > 0, 'the trainer is caught');
});
