import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { chromium, type Browser } from 'playwright-core';
import { readNpy } from '../src/io/npy.js';
import { presetNames } from 'gantry-core/models/presets.js';
import { tempDir } from './fixtures.js';
import { checkOnnxModels, chromiumArgs, classCountOf, maxAbsDifference, onnxCheckerMissing, runGantryCliAsync, startServe, tinyPresetRun, writeInt64Npy, writeLatents } from './exportFixtures.js';

/**
 * For every preset: a run of a few steps, `gantry export --format all`, then the same latents (and
 * labels) through `gantry sample --z` (cpu backend), through stock TF.js' tf.loadLayersModel in
 * Node (over HTTP from `gantry serve`), through ONNX Runtime for Node (model.onnx, after ONNX's own
 * checker), and through the export page in Chromium (TF.js on cpu, then webgl where the browser has
 * it; onnxruntime-web on wasm). One server and one browser serve every preset.
 */
const work = tempDir('gantry-export-parity-');
const exportsDir = join(work, 'exports');
const count = 4;
let server: { url: string; stop: () => Promise<void> };
let browser: Browser;

interface Prepared {
  preset: string;
  z: Float32Array;
  labels?: number[];
  sampled: Float32Array;
  shape: number[];
  hasEma: boolean;
}
const prepared: Prepared[] = [];

before(async () => {
  mkdirSync(exportsDir);
  // Runs train in this process one after another; each one's export and sample run as child
  // processes while the next one trains.
  const pending: Promise<Prepared>[] = [];
  for (const preset of presetNames()) {
    const run = join(work, 'runs', preset);
    const config = await tinyPresetRun(preset, run);
    const zPath = join(work, `${preset}-z.npy`);
    const z = await writeLatents(zPath, count, config.latentDim, 21);
    const classes = classCountOf(config);
    const labels = config.conditional ? [3 % classes, 0, classes - 1, 5 % classes] : undefined;
    const labelArgs: string[] = [];
    if (labels) {
      writeInt64Npy(join(work, `${preset}-labels.npy`), labels);
      labelArgs.push('--labels', join(work, `${preset}-labels.npy`));
    }
    const out = join(work, `${preset}-sample.npy`);
    const job = (async (): Promise<Prepared> => {
      const exported = await runGantryCliAsync(['export', '--run', run, '--out', join(exportsDir, preset), '--format', 'all']);
      assert.equal(exported.code, 0, `${preset}: ${exported.stderr}`);
      const sampled = await runGantryCliAsync(['sample', '--run', run, '--z', zPath, ...labelArgs, '--out', out, '--backend', 'cpu']);
      assert.equal(sampled.code, 0, `${preset}: ${sampled.stderr}`);
      const arr = await readNpy(out);
      return { preset, z, labels, sampled: arr.data as Float32Array, shape: arr.shape, hasEma: config.ema !== null };
    })();
    job.catch(() => undefined); // reported by Promise.all below, not as an unhandled rejection now
    pending.push(job);
  }
  prepared.push(...(await Promise.all(pending)));
  server = await startServe(exportsDir);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('every preset exports model.json, weights and gantry.json that describe the generator', () => {
  assert.ok(prepared.length >= 7, 'every preset was prepared');
  for (const p of prepared) {
    const dir = join(exportsDir, p.preset);
    const info = JSON.parse(readFileSync(join(dir, 'gantry.json'), 'utf8'));
    const model = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8'));
    assert.equal(info.format, 'gantry-generator');
    assert.equal(info.preset, p.preset);
    assert.equal(info.step, 2);
    assert.deepEqual([info.image.height, info.image.width, info.image.channels], p.shape.slice(1));
    assert.equal(info.latentDim * count, p.z.length);
    assert.equal(model.format, 'layers-model');
    assert.deepEqual([...model.weightsManifest[0].paths.map((f: string) => `model/${f}`), 'model.onnx'], info.files.map((f: { path: string }) => f.path));
    assert.equal(info.classes === null, p.labels === undefined, p.preset);
    if (info.classes) assert.equal(info.classes.names.length, info.classes.count);
    assert.equal(info.weights, p.hasEma ? 'ema' : 'raw', `${p.preset}: EMA weights are the default where the run keeps them`);
    assert.equal(info.onnx.model, 'model.onnx');
    assert.equal(info.onnx.opset, 17);
    assert.deepEqual(info.onnx.outputs[0].shape, [null, ...p.shape.slice(1)]);
    assert.deepEqual(info.onnx.inputs.map((i: { name: string }) => i.name), p.labels ? ['z', 'labels'] : ['z']);
    for (const file of ['index.html', 'page.js', 'page.css', 'wasm/tfjs-backend-wasm.wasm', 'wasm/tfjs-backend-wasm-simd.wasm', 'model.onnx', 'ort/ort-wasm-simd-threaded.asyncify.wasm']) {
      assert.ok(readFileSync(join(dir, file)).length > 0, `${p.preset}: ${file}`);
    }
  }
});

test('Node: stock tf.loadLayersModel over HTTP gives gantry sample --z to 1e-6', async (t) => {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    // Every model is fetched before any runs: a forward pass blocks this process's event loop for
    // seconds, and a keep-alive connection the server closed meanwhile would be reused.
    const models = await Promise.all(prepared.map((p) => tf.loadLayersModel(`${server.url}${p.preset}/model/model.json`)));
    for (const [i, p] of prepared.entries()) {
      const model = models[i]!;
      const info = JSON.parse(readFileSync(join(exportsDir, p.preset, 'gantry.json'), 'utf8'));
      const unit = tf.tidy(() => {
        const z = tf.tensor2d(p.z, [count, info.latentDim]);
        const inputs = p.labels ? [z, tf.tensor2d(p.labels, [count, 1], 'int32')] : z;
        const y = model.predict(inputs) as tf.Tensor;
        return info.output.range[0] === -1 ? tf.clipByValue(tf.mul(tf.add(y, 1), 0.5), 0, 1) : tf.clipByValue(y, 0, 1);
      });
      assert.deepEqual(unit.shape, p.shape);
      const diff = maxAbsDifference(unit.dataSync(), p.sampled);
      t.diagnostic(`${p.preset}: max |tf.loadLayersModel - gantry sample| = ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-6, `${p.preset}: ${diff}`);
      unit.dispose();
      model.dispose();
    }
  } finally {
    await tf.setBackend(previous);
  }
});

test("ONNX's checker (full_check) passes every preset's model.onnx", (t) => {
  const missing = onnxCheckerMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const paths = prepared.map((p) => join(exportsDir, p.preset, 'model.onnx'));
  assert.deepEqual(checkOnnxModels(paths), paths.map(() => ''));
});

test('Node: ONNX Runtime (onnxruntime-node) on model.onnx gives gantry sample --z to 1e-5', async (t) => {
  for (const p of prepared) {
    const info = JSON.parse(readFileSync(join(exportsDir, p.preset, 'gantry.json'), 'utf8'));
    const session = await ort.InferenceSession.create(join(exportsDir, p.preset, 'model.onnx'));
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', p.z, [count, info.latentDim]) };
    if (p.labels) feeds.labels = new ort.Tensor('int64', BigInt64Array.from(p.labels, BigInt), [count]);
    const { images } = await session.run(feeds);
    assert.deepEqual(images!.dims, p.shape);
    const [lo, hi] = info.output.range as [number, number];
    const unit = Float32Array.from(images!.data as Float32Array, (x) => Math.min(1, Math.max(0, Math.fround(Math.fround(x - lo) / (hi - lo)))));
    const diff = maxAbsDifference(unit, p.sampled);
    t.diagnostic(`${p.preset}: max |onnxruntime-node - gantry sample| = ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-5, `${p.preset}: ${diff}`);
    await session.release();
  }
});

test('Chromium: the export page draws gantry sample --z pixels (TF.js cpu 1e-5, webgl 1e-2 where available; onnxruntime-web wasm 1e-5)', async (t) => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    for (const p of prepared) {
      for (const [runtime, backend] of [['tfjs', 'cpu'], ['tfjs', 'webgl'], ['onnx', 'wasm']] as const) {
        await page.goto(`${server.url}${p.preset}/?runtime=${runtime}&backend=${backend}&grid=4`);
        const ran = await page.evaluate(() => window.gantryPage.ready.then(() => `${window.gantryPage.runtime}:${window.gantryPage.backend}`, () => null));
        if (backend === 'webgl' && ran === null) {
          t.diagnostic(`${p.preset}: webgl is not available in this Chromium; TF.js checked on cpu only`);
          errors.length = 0;
          continue;
        }
        assert.equal(ran, `${runtime}:${backend}`, `${p.preset}: ${errors.join('; ')}`);
        const pixels = await page.evaluate(([z, labels]) => window.gantryPage.generateUnit(z as number[], labels as number[] | undefined), [Array.from(p.z), p.labels] as const);
        const diff = maxAbsDifference(pixels, p.sampled);
        const limit = backend === 'webgl' ? 1e-2 : 1e-5;
        t.diagnostic(`${p.preset}: ${runtime} ${backend} in Chromium, max |page - gantry sample| = ${diff.toExponential(2)}`);
        assert.ok(diff <= limit, `${p.preset} on ${runtime} ${backend}: ${diff}`);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('Chromium: the export page shows its class picker for conditional generators only, with every class named', async () => {
  const page = await browser.newPage();
  try {
    const seen = { conditional: 0, unconditional: 0 };
    for (const p of prepared) {
      await page.goto(`${server.url}${p.preset}/?runtime=tfjs&backend=cpu&grid=4`);
      await page.evaluate(() => window.gantryPage.ready);
      const info = JSON.parse(readFileSync(join(exportsDir, p.preset, 'gantry.json'), 'utf8'));
      const visible = await page.locator('#class-field').isVisible();
      assert.equal(visible, p.labels !== undefined, `${p.preset}: the class picker is ${visible ? 'shown' : 'hidden'}`);
      const options = await page.locator('#class-select option').allTextContents();
      if (p.labels) {
        assert.deepEqual(options, ['All, in turn', ...info.classes.names], p.preset);
        seen.conditional += 1;
      } else {
        assert.deepEqual(options, [], p.preset);
        assert.equal(info.classes, null, p.preset);
        seen.unconditional += 1;
      }
    }
    assert.ok(seen.conditional > 0 && seen.unconditional > 0, `both kinds were checked: ${JSON.stringify(seen)}`);
  } finally {
    await page.close();
  }
});

/**
 * Presets whose generators hold the DCGAN family's operators (dense, batchnorm, transposed
 * convolutions, the label embedding and planes). SwiftShader's WebGPU runs on the CPU: a residual
 * preset takes about 40 s to its first grid there, so those are checked on wasm only.
 */
const webgpuPresets = ['dcgan-mnist', 'cgan-mnist'];

test(`Chromium WebGPU (SwiftShader here): onnxruntime-web on webgpu draws gantry sample --z pixels to 1e-3 (${webgpuPresets.join(', ')}), reported`, async (t) => {
  // WebGPU needs its own browser: Chromium offers it headless only with these switches (and without --disable-gpu)
  const gpuBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...chromiumArgs.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] });
  try {
    const page = await gpuBrowser.newPage();
    await page.goto(`${server.url}${prepared[0]!.preset}/gantry.json`); // a secure context (127.0.0.1), where navigator.gpu exists
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      return a ? `${a.info?.vendor ?? '?'} ${a.info?.architecture ?? '?'}` : null;
    });
    if (!adapter) {
      t.skip('this Chromium offers no WebGPU adapter');
      return;
    }
    t.diagnostic(`WebGPU adapter: ${adapter}`);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    for (const p of prepared.filter((q) => webgpuPresets.includes(q.preset))) {
      await page.goto(`${server.url}${p.preset}/?runtime=onnx&backend=webgpu&grid=4`);
      const ran = await page.evaluate(() => window.gantryPage.ready.then(() => `${window.gantryPage.runtime}:${window.gantryPage.backend}`, (e: Error) => e.message));
      assert.equal(ran, 'onnx:webgpu', `${p.preset}: ${errors.join('; ')}`);
      const pixels = await page.evaluate(([z, labels]) => window.gantryPage.generateUnit(z as number[], labels as number[] | undefined), [Array.from(p.z), p.labels] as const);
      const diff = maxAbsDifference(pixels, p.sampled);
      t.diagnostic(`${p.preset}: onnx webgpu (SwiftShader) in Chromium, max |page - gantry sample| = ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-3, `${p.preset} on webgpu: ${diff}`);
    }
  } finally {
    await gpuBrowser.close();
  }
});

declare global {
  interface Window {
    gantryPage: { ready: Promise<void>; runtime: string | null; backend: string | null; generateUnit(z: number[], labels?: number[]): Promise<number[]> };
  }
}
