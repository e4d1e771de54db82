#!/usr/bin/env node
// Time the export page in Chromium: time to the first grid (page load, TF.js backend start, model
// download, first 64-image grid) and time per further 64-image grid, on TF.js' webgl, wasm and cpu
// backends, for seed-mlp, dcgan-mnist and the preset with the largest generator.
//
//   node bench/export-page.js [--presets a,b,c] [--grids N] [--json]
//
// Each preset is trained for 2 tiny steps (the weights do not change the time), exported with
// `gantry export`, served with `gantry serve` and opened once per backend (?backend=NAME).
// Chromium runs headless as it does in the tests (--disable-gpu: webgl is Chromium's software
// rasteriser here, not a GPU). Medians over --grids grids after the first.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { selectBackend } from '../packages/gantry/dist/src/backend.js';
import { resolveTrainConfig } from '../packages/core/dist/src/config.js';
import { Network } from '../packages/core/dist/src/models/network.js';
import { presetNames } from '../packages/core/dist/src/models/presets.js';
import { train } from '../packages/gantry/dist/src/train/loop.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gantry = join(root, 'packages', 'gantry', 'bin', 'gantry.js');
const { values } = parseArgs({ options: { presets: { type: 'string' }, grids: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
const grids = Number(values.grids);
const backends = ['webgl', 'wasm', 'cpu'];

function generatorParameters(preset) {
  const config = resolveTrainConfig({}, { preset });
  const net = new Network('G', config.generator, 0, 0);
  const n = net.parameterCount();
  net.dispose();
  return n;
}

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

const presets = values.presets ? values.presets.split(',') : [...new Set(['seed-mlp', 'dcgan-mnist', largestPreset()])];
const work = mkdtempSync(join(tmpdir(), 'gantry-bench-export-'));
await selectBackend('auto');
for (const preset of presets) {
  await tinyRun(preset, join(work, 'runs', preset));
  const r = spawnSync(process.execPath, [gantry, 'export', '--run', join(work, 'runs', preset), '--out', join(work, 'exports', preset)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}
const server = await serve(join(work, 'exports'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const rows = [];
try {
  for (const preset of presets) {
    for (const backend of backends) {
      const page = await browser.newPage();
      const t0 = Date.now();
      await page.goto(`${server.url}${preset}/?backend=${backend}`);
      const ran = await page.evaluate(() => window.gantryPage.ready.then(() => window.gantryPage.backend, () => null));
      if (ran !== backend) {
        rows.push({ preset, backend, available: false });
        await page.close();
        continue;
      }
      const firstGridMs = await page.evaluate(() => window.gantryPage.firstGridMs);
      const loadToGridMs = Date.now() - t0;
      const times = [];
      for (let i = 0; i < grids; i++) times.push(await page.evaluate((seed) => window.gantryPage.timeGrid(64, seed), 100 + i));
      rows.push({ preset, backend, available: true, firstGridMs, loadToGridMs, gridMs: median(times), gridTimes: times });
      await page.close();
      console.error(`${preset} ${backend}: first grid ${firstGridMs.toFixed(0)} ms, 64-image grid ${median(times).toFixed(0)} ms`);
    }
  }
} finally {
  await browser.close();
  server.stop();
}
if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log('| preset | backend | time to first grid (ms) | per 64-image grid (ms, median) |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(r.available ? `| ${r.preset} | ${r.backend} | ${r.firstGridMs.toFixed(0)} | ${r.gridMs.toFixed(0)} |` : `| ${r.preset} | ${r.backend} | not available | |`);
  }
}
