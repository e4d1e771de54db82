#!/usr/bin/env node
// How long `gantry dashboard` takes to open a run whose metrics.jsonl has a million lines, and
// how much memory the server holds for it.
//
//   node bench/dashboard-metrics.js [--lines 1000000] [--dir DIR] [--no-browser]
//
// Writes a run folder with LINES records of the trainer's keys (an eval record every 1,000 steps),
// starts `gantry dashboard --root` on it as its own process, and measures:
//   - api: from the server's start to the first /api/metrics answer for that run (every line
//     read and parsed, every series downsampled to about 2,000 points; the cold open);
//   - again: a second /api/metrics request (the page's next refresh);
//     apiColdServerCpuMs is the CPU time the server process used until then, module loading included
//     (on a busy machine the wall time is several times the CPU time);
//   - page: headless Chromium opening the run page on a freshly started server until the
//     loss chart is drawn (what a user waits for);
//   - append: 1,000 more lines, until the event stream announces them;
//   - peak RSS of the server process (VmHWM), against the file's size.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

if (process.argv[2] === '--serve') {
  const { startDashboard } = await import('../packages/gantry/dist/src/dashboard/server.js');
  const t0 = Date.now();
  const d = await startDashboard({ root: process.argv[3], port: 0 });
  console.log(`${t0} ${d.url}`);
  process.on('SIGTERM', () => d.close().then(() => process.exit(0)));
  await new Promise(() => {});
}

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, dir: { type: 'string' }, 'no-browser': { type: 'boolean' } } });
const lines = Number(values.lines);
const root = values.dir ?? mkdtempSync(join(tmpdir(), 'gantry-dash-bench-'));
const run = join(root, 'big');
mkdirSync(run, { recursive: true });

function record(step) {
  const t = step / 1000;
  return JSON.stringify({
    step, epoch: Math.floor(step / 312), 'loss/D': 1.2 + 0.3 * Math.sin(t) + 0.1 * Math.random(), 'loss/G': 0.9 + 0.4 * Math.cos(t / 3) + 0.2 * Math.random(),
    'D/real': 0.6 + 0.1 * Math.random(), 'D/fake': 0.35 + 0.1 * Math.random(), 'D/acc_real': 0.7 + 0.2 * Math.random(), 'D/acc_fake': 0.6 + 0.2 * Math.random(),
    'perf/images_per_s': 5000 + 300 * Math.random(), 'perf/ms_per_step': 12 + Math.random(), 'time/elapsed_s': step * 0.012, 'perf/rss_mb': 540 + (step % 7), 'perf/tensors': 180,
  });
}

const metrics = join(run, 'metrics.jsonl');
if (!values.dir || !statSync(metrics, { throwIfNoEntry: false })) {
  writeFileSync(join(run, 'config.json'), JSON.stringify({ preset: 'dcgan-mnist', data: 'mnist', steps: lines + 1000, seed: 0 }, null, 2) + '\n');
  const fd = openSync(metrics, 'w');
  let chunk = [];
  for (let i = 1; i <= lines; i++) {
    chunk.push(record(i));
    if (i % 1000 === 0) chunk.push(JSON.stringify({ step: i, 'eval/fid': 200 / Math.sqrt(i / 1000), 'eval/kid': 0.2 / Math.sqrt(i / 1000) }));
    if (chunk.length >= 10000) {
      writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, chunk.join('\n') + '\n');
  closeSync(fd);
}
const sizeMb = statSync(metrics).size / 1048576;

/**
 * Start the dashboard in its own process (this script with --serve), so its memory is its own.
 * The clock starts when that process calls startDashboard: Node's start and module loading are
 * not the dashboard's work (and on a loaded machine they dominate).
 */
function startServer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^(\d+) (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (m) resolve({ child, url: m[2], started: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
  });
}

/** CPU seconds a process has used so far (user + system), from /proc. */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const stop = (child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));

// 1. the API, cold and warm
const a = await startServer();
const body = await (await fetch(`${a.url}api/metrics?id=big`)).json();
const apiMs = Date.now() - a.started;
const apiCpuMs = cpuSeconds(a.child.pid) * 1000;
const t1 = performance.now();
await (await fetch(`${a.url}api/metrics?id=big`)).json();
const againMs = performance.now() - t1;
const points = Object.values(body.series).map((s) => s.x.length);

// 2. appended lines reach the event stream
const events = await fetch(`${a.url}api/events`);
const reader = events.body.getReader();
const decoder = new TextDecoder();
let text = '';
while (!text.includes('event: hello')) text += decoder.decode((await reader.read()).value);
const t2 = performance.now();
appendFileSync(metrics, Array.from({ length: 1000 }, (_, i) => record(lines + 1 + i)).join('\n') + '\n');
while (!text.includes('event: metrics')) text += decoder.decode((await reader.read()).value);
const appendMs = performance.now() - t2;
await reader.cancel();
const rssMb = peakRssMb(a.child.pid);
await stop(a.child);

// 3. the page, on a fresh server
let pageMs = null;
if (!values['no-browser']) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const b = await startServer();
  await page.goto(`${b.url}#/run/big`);
  await page.waitForSelector('.plot[data-metric="loss/D"][data-points]', { timeout: 60000 });
  pageMs = Date.now() - b.started;
  await browser.close();
  await stop(b.child);
}

const result = {
  lines: lines + lines / 1000,
  fileMb: Math.round(sizeMb),
  pointsPerSeries: `${Math.min(...points)}..${Math.max(...points)}`,
  apiColdMs: Math.round(apiMs),
  apiColdServerCpuMs: Math.round(apiCpuMs),
  apiAgainMs: Math.round(againMs),
  pageMs: pageMs === null ? null : Math.round(pageMs),
  appendToEventMs: Math.round(appendMs),
  serverPeakRssMb: Math.round(rssMb),
};
console.log(JSON.stringify(result, null, 1));
