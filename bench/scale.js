#!/usr/bin/env node
// A sweep of independent runs trained by 1 worker, then by 2 workers, on this machine: the wall
// time from the first worker starting until the last run completes, and the ratio. Each worker
// trains one run at a time with 1 thread, so 2 workers use 2 cores side by side. A private
// redis-server (Debian's, append-only file on) runs in a temporary folder on a free loopback port.
//
//   node bench/scale.js [--runs 8] [--steps 5000] [--workers 1,2] [--preset seed-mlp]
//
// Needs the build (npx tsc -b packages/tfjs-backend-onednn packages/gantry) and redis-server.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gantry = join(root, 'packages', 'gantry', 'bin', 'gantry.js');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '8' },
    steps: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '1,2' },
    preset: { type: 'string', default: 'seed-mlp' },
  },
});
const runs = Number(values.runs);
const steps = Number(values.steps);
const workerCounts = values.workers.split(',').map(Number);

const work = mkdtempSync(join(tmpdir(), 'gantry-scale-'));
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redisDir = join(work, 'redis');
spawnSync('mkdir', ['-p', redisDir]);
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
const connection = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => (times > 50 ? null : 100) });
// redis-server may need a moment before it accepts connections
connection.on('error', () => undefined);
await connection.ping();
const queue = new Queue('gantry-runs', { connection });

const results = [];
try {
  for (const n of workerCounts) {
    const name = `scale-${n}w`;
    const spec = join(work, `${name}.json`);
    const seeds = Array.from({ length: runs }, (_, i) => i);
    writeFileSync(spec, JSON.stringify({ name, base: { preset: values.preset, steps, logEvery: 500, sampleEvery: steps, checkpointEvery: 1000 }, seeds }));
    const submit = spawnSync(process.execPath, [gantry, 'sweep', spec, '--redis', url, '--out', join(work, 'runs')], { encoding: 'utf8' });
    if (submit.status !== 0) throw new Error(`sweep failed: ${submit.stderr}`);
    const t0 = performance.now();
    const workers = Array.from({ length: n }, () => spawn(process.execPath, [gantry, 'worker', '--redis', url, '--concurrency', '1', '--threads', '1'], { stdio: 'ignore' }));
    const ids = seeds.map((s) => `${name}/seed-${s}`);
    for (;;) {
      const states = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.getState()));
      if (states.some((s) => s === 'failed')) throw new Error(`a run failed: ${JSON.stringify(states)}`);
      if (states.every((s) => s === 'completed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(workers.map((w) => new Promise((resolve) => {
      w.on('exit', resolve);
      w.kill('SIGTERM');
    })));
    results.push({ workers: n, seconds });
    console.error(`${n} worker(s): ${runs} runs of ${steps} steps in ${seconds.toFixed(1)} s`);
  }
} finally {
  await queue.close();
  connection.disconnect();
  redis.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
const one = results.find((r) => r.workers === 1);
for (const r of results) r.speedup = one ? Number((one.seconds / r.seconds).toFixed(2)) : null;
console.log(JSON.stringify({ preset: values.preset, runs, steps, threadsPerWorker: 1, results }));
