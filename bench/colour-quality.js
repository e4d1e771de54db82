#!/usr/bin/env node
// Colour quality at equal steps: a Gantry preset against the PyTorch DCGAN64 peer on emoji, each
// trained the same number of steps on each seed, both scored by `gantry eval` (Gantry's emoji
// classifier: FID, recall, class coverage) on the same number of samples.
//
//   node bench/colour-quality.js --preset dcgan64 --steps 1500 --seeds 0,1
//
// The peer needs Debian's python3-torch (and libopenblas0-pthread). Runs go to --out (default
// runs/colour-quality); a run that is already there is scored again, not retrained, so an
// interrupted comparison picks up where it stopped. --jobs N trains N runs at once: the
// comparison is of quality at equal steps, not of speed, so runs may share the cores. Each run
// also leaves a grid of its first 64 scored samples beside it (NAME-sS.png).
//
//   node bench/colour-quality.js --preset dcgan64 --minutes 60 --threads 2 --seeds 0,1 --out runs/hour
//
// --minutes M compares per hour instead: each run trains for M minutes of training on --threads
// (Gantry stops at a checkpoint, the peer at the end of a step; --steps is then the most either
// takes), one run at a time, so give the machine to it alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadDataset } from '../packages/gantry/dist/src/data/load.js';
import { writeImageGridPng } from '../packages/gantry/dist/src/io/png.js';

const here = dirname(fileURLToPath(import.meta.url));
const gantry = join(here, '..', 'packages', 'gantry', 'bin', 'gantry.js');
const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'dcgan64' },
    config: { type: 'string' },
    peer: { type: 'string', default: 'dcgan64-examples' },
    steps: { type: 'string' },
    seeds: { type: 'string', default: '0,1' },
    n: { type: 'string', default: '1500' },
    threads: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1' },
    out: { type: 'string', default: 'runs/colour-quality' },
    minutes: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
  },
});
if (a.minutes !== undefined && Number(a.jobs) !== 1) throw new Error('--minutes times each run: give it the machine alone (--jobs 1)');
// by time, --steps is only a cap: by default none that an hour reaches
a.steps ??= a.minutes !== undefined ? '1000000' : '1500';
const timed = a.minutes !== undefined ? ['--minutes', a.minutes] : [];
const out = resolve(a.out);
const seeds = a.seeds.split(',').map(Number);
mkdirSync(out, { recursive: true });

function sh(cmd, args, env, log) {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.stderr.on('data', (d) => (text += d));
    p.on('close', (code) => {
      if (log) writeFileSync(log, text);
      if (code === 0) done(text);
      else fail(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${text.slice(-2000)}`));
    });
  });
}

const evalJson = async (args) => JSON.parse((await sh('node', [gantry, 'eval', ...args, '--json'])).trim().split('\n').pop());

async function gantryRun(seed) {
  const dir = join(out, `${a.preset}-s${seed}`);
  if (!existsSync(join(dir, 'checkpoints'))) {
    await sh('node', [gantry, 'train', '--preset', a.preset, ...(a.config ? ['--config', a.config] : []), '--seed', String(seed),
      '--steps', a.steps, '--threads', a.threads, '--checkpoint-every', a.minutes === undefined ? a.steps : '500', '--sample-every', '500', '--log-every', '100',
      ...timed, '--quiet', '--out', dir], {}, `${dir}.log`);
  }
  // the scored samples: gantry eval --run draws exactly what gantry sample does with the same seed
  const npy = `${dir}.npy`;
  await sh('node', [gantry, 'sample', '--run', dir, '--n', a.n, '--out', npy]);
  await grid(npy, `${dir}.png`);
  return evalJson(['--npy', npy, '--data', 'emoji']);
}

async function grid(npy, png) {
  const set = await loadDataset(`npy:${npy}`);
  await writeImageGridPng(png, set.pixels01, Math.min(64, set.count), set.height, set.width, set.channels);
}

async function peerRun(seed) {
  const npy = join(out, `${a.peer}-s${seed}.npy`);
  if (!existsSync(npy)) {
    const data = join(out, 'emoji.npy');
    if (!existsSync(data)) await sh('node', [join(here, 'export-data.js'), 'emoji', data]);
    // the peer at its best: Debian's OpenBLAS free to pick its own kernels
    const env = { OMP_NUM_THREADS: a.threads };
    await sh('env', ['-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE', '/usr/bin/python3', join(here, 'pytorch_train.py'),
      '--preset', a.peer, '--data', data, '--steps', a.steps, '--seed', String(seed), '--n', a.n, ...timed, '--out', npy], env, `${npy}.log`);
  }
  await grid(npy, npy.replace(/\.npy$/, '.png'));
  return evalJson(['--npy', npy, '--data', 'emoji']);
}

const tasks = seeds.flatMap((s) => [['gantry', s, () => gantryRun(s)], ...(a['no-peer'] ? [] : [['peer', s, () => peerRun(s)]])]);
const results = {};
let next = 0;
await Promise.all(Array.from({ length: Math.max(1, Number(a.jobs)) }, async () => {
  while (next < tasks.length) {
    const [who, seed, run] = tasks[next++];
    results[`${who}-${seed}`] = await run();
    console.error(`${who} seed ${seed}: FID ${results[`${who}-${seed}`].fid.toFixed(1)}`);
  }
}));
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));

console.log(`| seed | run | FID | recall | precision | classes (of 10) | class KL |`);
console.log('|---|---|---|---|---|---|---|');
for (const s of seeds) {
  for (const [who, name] of [['gantry', `Gantry ${a.preset}`], ['peer', `PyTorch ${a.peer}`]]) {
    const r = results[`${who}-${s}`];
    if (!r) continue;
    console.log(`| ${s} | ${name} | ${r.fid.toFixed(1)} | ${r.recall.toFixed(3)} | ${r.precision.toFixed(3)} | ${r.coverage.classes} | ${r.coverage.kl.toFixed(3)} |`);
  }
}
