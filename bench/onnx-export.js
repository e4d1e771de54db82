#!/usr/bin/env node
// Time a 64-image batch from an exported generator: ONNX Runtime for Node (model.onnx) against
// Gantry's own `gantry sample --z` path on the onednn backend, in one process; then, in Chromium,
// the export page on onnxruntime-web's wasm backend against TF.js' wasm backend.
//
//   node bench/onnx-export.js [--presets a,b] [--runs N] [--grids N] [--json]
//
// Each preset is trained for 2 tiny steps (the weights do not change the time) and exported with
// `gantry export --format all`. In Node each runtime gets 3 untimed batches, then --runs timed ones; the time covers the forward pass and the pixels in [0, 1] read
// back (Gantry: imagesFromLatents01, what `sample --z` runs; ONNX Runtime: session.run, its
// output's data and the same mapping to [0, 1]), in one block of batches per runtime. Both use every core (oneDNN's threads and ONNX
// Runtime's intra-op threads), and ONNX Runtime also on one thread. In Chromium (headless, --disable-gpu, one page per runtime) the
// time is the page's timeGrid(64): latents, the forward pass, pixels and drawing the grid, on one
// thread each (the page is not cross-origin isolated), median of --grids grids after the first.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { selectBackend } from '../packages/gantry/dist/src/backend.js';
import { resolveTrainConfig } from '../packages/core/dist/src/config.js';
import { Network } from '../packages/core/dist/src/models/network.js';
import { presetNames } from '../packages/core/dist/src/models/presets.js';
import { imagesFromLatents01 } from '../packages/core/dist/src/train/images.js';
import { train } from '../packages/gantry/dist/src/train/loop.js';
import { openRun } from '../packages/gantry/dist/src/runFolder/checkpoints.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gantry = join(root, 'packages', 'gantry', 'bin', 'gantry.js');
const { values } = parseArgs({ options: { presets: { type: 'string' }, runs: { type: 'string', default: '20' }, grids: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
const runs = Number(values.runs);
const grids = Number(values.grids);
const batch = 64;

function generatorParameters(preset) {
  const net = new Network('G', resolveTrainConfig({}, { preset }).generator, 0, 0);
  const n = net.parameterCount();
  net.dispose();
  return n;
}

/** The preset with the most generator parameters (cgan-emoji today), as bench/export-page.js picks it. */
function largestPreset() {
  return presetNames().map((p) => [p, generatorParameters(p)]).sort((a, b) => b[1] - a[1])[0][0];
}

async function tinyRun(preset, out) {
  const config = resolveTrainConfig({}, { preset, steps: 2, batchSize: 2, logEvery: 2, sampleEvery: 1000000, checkpointEvery: 2 });
  const [h, w, c] = config.discriminator.input;
  const classes = config.generator.layers.find((l) => l.kind === 'labelConcat')?.classes ?? 10;
  const data = { source: 'bench', count: 8, height: h, width: w, channels: c, pixels01: new Float32Array(8 * h * w * c).map(() => Math.random()), labels: Int32Array.from({ length: 8 }, (_, i) => i % classes), numClasses: classes };
  const { gan } = await train({ config, out, data, quiet: true });
  gan.dispose();
}

function serve(dir) {
  const child = spawn(process.execPath, [gantry, 'serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gantry serve exited with code ${code}`)));
    child.stdout.on('data', (d) => {
      const url = /at (http:\/\/\S+)/.exec(String(d))?.[1];
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeNode(preset, runDir, exportDir) {
  const { gan, config } = openRun(runDir);
  const z = Float32Array.from({ length: batch * config.latentDim }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
  const classes = config.conditional ? config.numClasses : 0;
  const labels = classes ? Int32Array.from({ length: batch }, (_, i) => i % classes) : undefined;
  const session = await ort.InferenceSession.create(join(exportDir, 'model.onnx'));
  const session1 = await ort.InferenceSession.create(join(exportDir, 'model.onnx'), { intraOpNumThreads: 1 });
  const feeds = { z: new ort.Tensor('float32', z, [batch, config.latentDim]) };
  if (labels) feeds.labels = new ort.Tensor('int64', BigInt64Array.from(labels, BigInt), [batch]);
  const [lo, hi] = config.pixelRange === '-1,1' ? [-1, 1] : [0, 1];
  const gantrySample = () => imagesFromLatents01(gan, z, batch, labels);
  const onnxSample = async (s) => {
    const { images } = await s.run(feeds);
    const data = images.data;
    const unit = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = (data[i] - lo) / (hi - lo);
      unit[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    images.dispose();
    return unit;
  };
  // One block per runtime, with a pause between: oneDNN's OpenMP threads spin for a while after
  // their last kernel, and ONNX Runtime run right after them would share the cores with that spin.
  const block = async (sample) => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const t = [];
    for (let i = 0; i < 3 + runs; i++) {
      const t0 = performance.now();
      await sample();
      if (i >= 3) t.push(performance.now() - t0);
    }
    return t;
  };
  const times = { gantry: await block(gantrySample), onnx: await block(() => onnxSample(session)), onnx1: await block(() => onnxSample(session1)) };
  await session.release();
  await session1.release();
  gan.dispose();
  return { gantryMs: median(times.gantry), onnxMs: median(times.onnx), onnx1Ms: median(times.onnx1), times };
}

const presets = values.presets ? values.presets.split(',') : [...new Set(['dcgan-mnist', largestPreset()])];
const work = mkdtempSync(join(tmpdir(), 'gantry-bench-onnx-'));
const backend = await selectBackend('onednn');
const rows = [];
for (const preset of presets) {
  const runDir = join(work, 'runs', preset);
  const exportDir = join(work, 'exports', preset);
  await tinyRun(preset, runDir);
  const r = spawnSync(process.execPath, [gantry, 'export', '--run', runDir, '--out', exportDir, '--format', 'all'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const node = await timeNode(preset, runDir, exportDir);
  rows.push({ preset, ...node });
  console.error(`${preset}: gantry sample (onednn, ${backend.threads} threads) ${node.gantryMs.toFixed(1)} ms, onnxruntime-node ${node.onnxMs.toFixed(1)} ms (1 thread: ${node.onnx1Ms.toFixed(1)} ms) per ${batch}-image batch`);
}

const server = await serve(join(work, 'exports'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  for (const row of rows) {
    for (const runtime of ['tfjs', 'onnx']) {
      const page = await browser.newPage();
      await page.goto(`${server.url}${row.preset}/?runtime=${runtime}&backend=wasm`);
      const ran = await page.evaluate(() => window.gantryPage.ready.then(() => `${window.gantryPage.runtime}:${window.gantryPage.backend}`, (e) => String(e)));
      if (ran !== `${runtime}:wasm`) throw new Error(`${row.preset} ${runtime}: ${ran}`);
      const times = [];
      for (let i = 0; i < grids; i++) times.push(await page.evaluate((seed) => window.gantryPage.timeGrid(64, seed), 100 + i));
      row[`${runtime}WasmMs`] = median(times);
      await page.close();
      console.error(`${row.preset}: ${runtime} wasm in Chromium ${median(times).toFixed(0)} ms per 64-image grid`);
    }
  }
} finally {
  await browser.close();
  server.stop();
}

if (values.json) {
  console.log(JSON.stringify({ threads: backend.threads, rows }, null, 2));
} else {
  console.log(`| preset | Gantry sample, onednn, ${backend.threads} threads (ms) | onnxruntime-node, ${backend.threads} threads (ms) | onnxruntime-node, 1 thread (ms) | TF.js wasm in Chromium (ms) | onnxruntime-web wasm in Chromium (ms) |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.preset} | ${r.gantryMs.toFixed(1)} | ${r.onnxMs.toFixed(1)} | ${r.onnx1Ms.toFixed(1)} | ${r.tfjsWasmMs.toFixed(0)} | ${r.onnxWasmMs.toFixed(0)} |`);
}
