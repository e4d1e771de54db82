#!/usr/bin/env node
// Milliseconds per call of the presets' image layers (few channels on one side), with the
// backend's direct kernels and with what runs without them (GANTRY_FEW_CHANNEL_KERNELS=0),
// each side in its own process, alternating, median of the rounds.
//   node bench/few-channel-conv.js [--rounds 3] [--threads 1]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

// geometry: n, h, w, c, kh, kw, oc, oh, ow, strides, dilations, padding (top, left, bottom, right)
const layers = {
  'dcgan-mnist D 1->64 4x4/2, 28x28 (64)': [64, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  'sngan64 D 3->16 3x3, 64x64 (64)': [64, 64, 64, 3, 3, 3, 16, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  'sngan64 G 16->3 3x3, 64x64 (32)': [32, 64, 64, 16, 3, 3, 3, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
};

if (process.env.FEW_CHANNEL_CHILD) {
  // one side: time every layer's three calls, print JSON
  const require = createRequire(import.meta.url);
  process.env.OMP_WAIT_POLICY ??= 'passive';
  const addon = require('../packages/tfjs-backend-onednn/build/Release/onednn.node');
  addon.setThreads(Number(process.env.FEW_CHANNEL_THREADS));
  const random = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const out = {};
  for (const [name, g] of Object.entries(layers)) {
    const [n, h, w, c, kh, kw, oc, oh, ow] = g;
    const geometry = Int32Array.from(g);
    const x = random(n * h * w * c);
    const filter = random(kh * kw * c * oc);
    const bias = random(oc);
    const y = new Float32Array(n * oh * ow * oc);
    const dy = random(y.length);
    const dx = new Float32Array(x.length);
    const dw = new Float32Array(filter.length);
    const time = (f) => {
      for (let i = 0; i < 5; i++) f();
      const runs = [];
      for (let r = 0; r < 7; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 10; i++) f();
        runs.push((performance.now() - t0) / 10);
      }
      return runs.sort((a, b) => a - b)[3];
    };
    out[name] = {
      forward: time(() => addon.conv2dForward(x, filter, bias, y, geometry, 0, 0)),
      inputGradient: time(() => addon.conv2dBackwardData(dy, filter, dx, geometry)),
      filterGradient: time(() => addon.conv2dBackwardFilter(x, dy, dw, geometry)),
    };
  }
  console.log(JSON.stringify(out));
} else {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '1' } } });
  const results = { direct: [], without: [] };
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [side, flag] of [['direct', '1'], ['without', '0']]) {
      const env = { ...process.env, FEW_CHANNEL_CHILD: '1', FEW_CHANNEL_THREADS: values.threads, GANTRY_FEW_CHANNEL_KERNELS: flag };
      results[side].push(JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname], { env, encoding: 'utf8' })));
    }
  }
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  console.log(`ms per call, ${values.threads} thread(s), median of ${values.rounds} rounds: direct kernels / without them\n`);
  console.log('| layer (batch) | forward | input gradient | filter gradient |');
  console.log('|---|---|---|---|');
  for (const name of Object.keys(layers)) {
    const cell = (k) => `${median(results.direct.map((x) => x[name][k])).toFixed(2)} / ${median(results.without.map((x) => x[name][k])).toFixed(2)}`;
    console.log(`| ${name} | ${cell('forward')} | ${cell('inputGradient')} | ${cell('filterGradient')} |`);
  }
}
