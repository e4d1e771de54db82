#!/usr/bin/env node
// Steps per second of Gantry Studio (training in the page) in headless Chromium, per preset and
// TF.js backend (cpu, webgl, webgpu), beside `gantry bench` on the native backend of this machine.
//
//   node bench/studio-speed.js [--presets seed-mlp,dcgan-mnist,dcgan64] [--backends cpu,webgl,webgpu]
//                              [--warmup N] [--steps N] [--batch-size N] [--threads N] [--json]
//
// Each cell is one fresh page: the studio server in this process, the run started through the
// page's own `gantryStudio.start` (the Start button's code), `--warmup` steps untimed, then the
// wall time of the next `--steps` (read from the page's step counter, polled every 20 ms).
// WebGL and WebGPU queue a step's work and return before the GPU has done it; only a read of the
// losses waits for it. So the run logs (reads its losses) every `--warmup` steps: the clock starts
// after the read at the end of the warm-up and stops after the read at the last step, and the
// figure counts every queued step as done. With `--steps` no more than `--warmup` there is no read
// in between. Sample grids and checkpoints are pushed past the end.
// Chromium has no GPU here: webgl is SwiftShader and webgpu Dawn on SwiftShader, both on the CPU.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startStudio } from '../packages/gantry/dist/src/studio/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'seed-mlp,dcgan-mnist,dcgan64' },
    backends: { type: 'string', default: 'cpu,webgl,webgpu' },
    warmup: { type: 'string', default: '3' },
    steps: { type: 'string', default: '10' },
    'batch-size': { type: 'string' }, // the preset's when left out; the page and the CLI take the same
    threads: { type: 'string', default: '1' },
    json: { type: 'boolean' },
  },
});
const presets = values.presets.split(',');
const backends = values.backends.split(',');
const warmup = Number(values.warmup);
const steps = Number(values.steps);
const batch = values['batch-size'] === undefined ? {} : { batchSize: Number(values['batch-size']) };
const dataFor = (preset) => (/64|emoji/.test(preset) ? 'emoji-google' : 'mnist');

const server = await startStudio({ port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist'],
});

async function pageSpeed(preset, backend) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(server.url);
    await page.evaluate(() => globalThis.gantryStudio.ready);
    const offered = await page.evaluate(() => globalThis.gantryStudio.backends());
    if (!offered.some((b) => b.name === backend && b.available !== false)) return { preset, backend, skipped: 'not offered by this browser' };
    const total = warmup + steps;
    const started = await page.evaluate(
      ({ preset, backend, data, total, warmup, batch }) => globalThis.gantryStudio.start({ preset, backend, data, steps: total, logEvery: warmup, sampleEvery: total, checkpointEvery: total, ...batch }),
      { preset, backend, data: dataFor(preset), total, warmup, batch },
    );
    if (!('run' in started)) return { preset, backend, skipped: `refused: ${JSON.stringify(started.refused)}` };
    // the page's step counter, timed from here: when it reaches the warm-up and when the end
    const times = await page.evaluate(async ({ warmup, total }) => {
      const at = {};
      for (;;) {
        const s = globalThis.gantryStudio.state();
        if (s.step >= warmup && at.warm === undefined) at.warm = { t: performance.now(), step: s.step };
        // the counter shows the last step once its losses are read, before its checkpoint is written
        if (s.step >= total && at.end === undefined) at.end = { t: performance.now(), step: s.step };
        if (s.phase !== 'training' && s.phase !== 'starting') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return { ...at, final: globalThis.gantryStudio.state() };
    }, { warmup, total });
    if (!times.warm || !times.end) return { preset, backend, skipped: `the run ended at step ${times.final.step}: ${times.final.message}` };
    const timed = times.end.step - times.warm.step;
    const secondsPerStep = (times.end.t - times.warm.t) / 1000 / timed;
    return { preset, backend, adapter: times.final.adapter ?? '', stepsPerSecond: 1 / secondsPerStep, timedSteps: timed };
  } finally {
    await context.close();
  }
}

function cliSpeed(preset) {
  const r = spawnSync(process.execPath, [join(root, 'packages/gantry/bin/gantry.js'), 'bench', '--preset', preset, '--backend', 'onednn', '--threads', values.threads, '--steps', String(Math.max(steps, 10)), ...(batch.batchSize ? ['--batch-size', String(batch.batchSize)] : []), '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout);
  return 1000 / out.msPerStep.median;
}

const rows = [];
try {
  for (const preset of presets) {
    const row = { preset, cli: cliSpeed(preset), page: {} };
    for (const backend of backends) {
      // a cell that fails (a page error, a backend that stops) is reported, and the others still run
      row.page[backend] = await pageSpeed(preset, backend).catch((e) => ({ preset, backend, skipped: String(e?.message ?? e).split('\n')[0] }));
    }
    rows.push(row);
    if (!values.json) {
      const cells = backends.map((b) => (row.page[b].stepsPerSecond ? `${b} ${row.page[b].stepsPerSecond.toFixed(2)}` : `${b} - (${row.page[b].skipped ?? 'no timed steps'})`)).join('  ');
      console.log(`${preset}: page ${cells}  |  gantry bench onednn (${values.threads} thread) ${row.cli ? row.cli.toFixed(2) : '-'} steps/s`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
if (values.json) console.log(JSON.stringify({ warmup, steps, threads: Number(values.threads), rows }, null, 1));
