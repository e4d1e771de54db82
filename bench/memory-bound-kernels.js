#!/usr/bin/env node
// Milliseconds per call of the native addon's memory-bound kernels (batch norm and its
// gradient, element-wise ops, sums over rows, resampling, the Adam update) on the tensor
// shapes of dcgan-mnist's and sngan64's steps. With --against, a second build of the addon
// (another onednn.node, say one built from an earlier commit) runs the same calls, the two
// alternating call by call, and the table gives both medians, their ratio and how many
// output values differ between them.
//   node bench/memory-bound-kernels.js [--threads 1] [--rounds 40] [--against path/to/onednn.node]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '40' }, against: { type: 'string' } },
});
const require = createRequire(import.meta.url);
process.env.OMP_WAIT_POLICY ??= 'passive';
const builds = [['this build', require('../packages/tfjs-backend-onednn/build/Release/onednn.node')]];
if (values.against) builds.unshift(['--against', require(resolve(values.against))]);
for (const [, addon] of builds) addon.setThreads(Number(values.threads));

const wave = (n, phase) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37 + phase) * 1.3 + 0.1;
  return a;
};

/** Calls on x[rows][c]: each is (addon, outputs) => void; outputs() makes a fresh set. */
function rowCases(rows, c) {
  const n = rows * c;
  const x = wave(n, 0);
  const dy = wave(n, 1);
  const gamma = wave(c, 2).map((v) => 1 + 0.1 * v);
  const beta = wave(c, 3);
  const shape = `${rows}x${c}`;
  return {
    outputs: () => ({ y: new Float32Array(n), mean: new Float32Array(c), variance: new Float32Array(c), dgamma: new Float32Array(c), dbeta: new Float32Array(c) }),
    calls: {
      [`batch norm + relu ${shape}`]: (m, o) => m.batchNormTrain(x, gamma, beta, o.y, o.mean, o.variance, c, 1e-3, 1, 0),
      [`its gradient ${shape}`]: (m, o) => m.batchNormTrainGrad(dy, x, gamma, beta, gamma, null, null, o.y, o.dgamma, o.dbeta, c, 1e-3, x, 0),
      [`add ${shape}`]: (m, o) => m.binary(0, x, dy, o.y, [rows, c], [c, 1], [c, 1], 0),
      [`leaky relu gradient ${shape}`]: (m, o) => m.binary(21, dy, x, o.y, [rows, c], [c, 1], [c, 1], 0.2),
      [`sum over rows ${shape}`]: (m, o) => m.reduce(0, x, o.mean, 1, rows, c, 1),
    },
  };
}

const small = wave(32 * 32 * 32 * 16, 4);
const big = wave(32 * 64 * 64 * 16, 5);
const grads = big.subarray(0, 2e6);
const sets = [
  rowCases(32 * 64 * 64, 16), // sngan64's 64x64 layers, batch 32
  rowCases(128 * 14 * 14, 64), // dcgan-mnist's discriminator, real and fake together
  rowCases(64, 6272), // dcgan-mnist's dense batch norm
  {
    outputs: () => ({ big: new Float32Array(big.length), small: new Float32Array(small.length), p: wave(2e6, 6), m: new Float32Array(2e6), v: new Float32Array(2e6) }),
    calls: {
      'upsample 32x32x32x16': (m, o) => m.resample2x(0, small, o.big, 32, 32, 32, 16, 1),
      'average pool 32x64x64x16': (m, o) => m.resample2x(1, big, o.small, 32, 32, 32, 16, 1),
      'Adam, 2M parameters': (m, o) => m.adamUpdate([o.p], [grads], [o.m], [o.v], 1e-4, 0.5, 0.999, 1e-7),
    },
  },
];

const rounds = Number(values.rounds);
const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
const header = builds.length > 1 ? '| kernel | --against ms | this build ms | ratio | differing values |\n|---|---|---|---|---|' : '| kernel | ms |\n|---|---|';
console.log(`${values.threads} thread(s), median of ${rounds} calls each\n\n${header}`);
for (const set of sets) {
  for (const [name, call] of Object.entries(set.calls)) {
    const outs = builds.map(() => set.outputs());
    const times = builds.map(() => []);
    for (let r = 0; r < rounds; r++) {
      builds.forEach(([, addon], k) => {
        const t0 = performance.now();
        call(addon, outs[k]);
        times[k].push(performance.now() - t0);
      });
    }
    const ms = times.map(median);
    if (builds.length === 1) {
      console.log(`| ${name} | ${ms[0].toFixed(3)} |`);
      continue;
    }
    // Adam updates its state in place: both builds made the same number of updates from the same start
    let differing = 0;
    for (const key of Object.keys(outs[0])) {
      const p = outs[0][key];
      const q = outs[1][key];
      for (let i = 0; i < p.length; i++) if (p[i] !== q[i] && !(Number.isNaN(p[i]) && Number.isNaN(q[i]))) differing++;
    }
    console.log(`| ${name} | ${ms[0].toFixed(3)} | ${ms[1].toFixed(3)} | ${(ms[1] / ms[0]).toFixed(2)} | ${differing} |`);
  }
}
