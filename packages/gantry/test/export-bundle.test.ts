import assert from 'node:assert/strict';
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

/** Inputs that must never reach a browser bundle (the runtime-neutral core, packages/core, may). */
function forbidden(inputs: string[]): string[] {
  return inputs.filter((p) => /(^|\/)node:|packages\/gantry\/(src|dist)\/|tfjs-backend-onednn|tfjs-node|@hono\/node-server/.test(p));
}

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
  assert.ok(inputs.some((p) => /packages\/core\/.*gdsFormat/.test(p)), 'the page reads the data-file layout from the core');
  assert.deepEqual(forbidden(inputs), []);
});

test('the check fails on a Node import and on the trainer (it can fail)', async () => {
  const node = await bundleForBrowser("import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n", gantryRoot);
  assert.ok(node.errors.length > 0 && /node:fs/.test(node.errors.join(' ')), node.errors.join('; '));
  const trainer = await bundleForBrowser("import { writeSampleGrid } from './src/train/loop.ts';\nconsole.log(writeSampleGrid);\n", gantryRoot);
  assert.ok(trainer.errors.length > 0 || forbidden(trainer.inputs).length > 0, 'the trainer is caught');
});
