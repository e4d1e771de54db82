#!/usr/bin/env node
// Gantry against its PyTorch peer on the same machine, in one run: the two alternate
// (A B A B ...), each run reports its median ms per D+G step, and the table gives the
// median over rounds and the ratio Gantry / PyTorch. PyTorch runs in both memory formats
// (NCHW and channels-last) and its faster one counts. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
// are removed from PyTorch's environment (they slow current OpenBLAS builds).
//
// Beside the times: Gantry's GFLOP/s and their share of the matrix-product peak that
// `gantry bench --peak` measures in the same process, and both sides' peak memory (RSS).
//
// `--isa avx2` runs both sides as on a CPU without AVX-512: Gantry with GANTRY_CPU_ISA=avx2
// (its own kernels and oneDNN), PyTorch with ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2
// and OpenBLAS's Haswell kernels.
//
//   node bench/compare.js [--rounds 5] [--steps 30] [--threads 1,2] [--isa native|avx2] [--cases dcgan-mnist:64,seed-mlp:32,seed-mlp:256]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '30' },
    // untimed steps first, on both sides: a 2 ms seed-mlp step needs about 50 before V8 has
    // optimised the JavaScript around the kernels (its median at 5 warm-up steps is 3x slower)
    warmup: { type: 'string', default: '50' },
    threads: { type: 'string', default: '1,2' },
    cases: { type: 'string', default: 'dcgan-mnist:64,seed-mlp:32,seed-mlp:256' },
    python: { type: 'string', default: '/usr/bin/python3' },
    isa: { type: 'string', default: 'native' },
  },
});
const rounds = Number(values.rounds);
if (values.isa !== 'native' && values.isa !== 'avx2') throw new Error(`--isa must be native or avx2, not ${values.isa}`);
const gantryIsa = values.isa === 'avx2' ? { GANTRY_CPU_ISA: 'avx2' } : {};
const peerIsa = values.isa === 'avx2'
  ? { ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2', DNNL_MAX_CPU_ISA: 'AVX2', OPENBLAS_CORETYPE: 'Haswell' }
  : {};
const steps = values.steps;

function run(cmd, args, env) {
  const base = { ...process.env };
  if (cmd !== process.execPath) {
    delete base.OPENBLAS_CORETYPE;
    delete base.OPENBLAS_L2_SIZE;
  }
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...base, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const threads of values.threads.split(',')) {
  for (const c of values.cases.split(',')) {
    const [preset, batch] = c.split(':');
    const env = { OMP_NUM_THREADS: threads, GANTRY_THREADS: threads };
    const gantry = [];
    const torch = [];
    const shares = [];
    const gantryRss = [];
    const torchRss = [];
    let flops = 0;
    for (let i = 0; i < rounds; i++) {
      const b = run(process.execPath, [join(root, 'packages/gantry/bin/gantry.js'), 'bench', '--preset', preset, '--batch-size', batch, '--steps', steps, '--warmup', values.warmup, '--backend', 'onednn', '--peak', '--json'], { ...env, ...gantryIsa });
      gantry.push(b.msPerStep.median);
      shares.push(b.peakShare);
      gantryRss.push(b.peakRssMb);
      flops = b.flopsPerStep;
      const peer = (extra) => run(values.python, [join(root, 'bench/pytorch_peer.py'), '--preset', preset, '--batch-size', batch, '--steps', steps, '--warmup', values.warmup, '--json', ...extra], { ...env, ...peerIsa });
      const nchw = peer([]);
      const nhwc = peer(['--channels-last']);
      const best = nchw.msPerStep.median <= nhwc.msPerStep.median ? nchw : nhwc;
      torch.push(best.msPerStep.median);
      torchRss.push(best.peakRssMb);
    }
    const g = median(gantry);
    const t = median(torch);
    const row = {
      preset, batch: Number(batch), threads: Number(threads), gantryMs: g, pytorchMs: t, ratio: g / t, gflop: flops / 1e9,
      gflopsPerSecond: flops / (g * 1e6), peakShare: median(shares), gantryRssMb: Math.max(...gantryRss), pytorchRssMb: Math.max(...torchRss),
      gantryRuns: gantry, pytorchRuns: torch,
    };
    rows.push(row);
    console.error(`${preset} b${batch} t${threads}: gantry ${g.toFixed(2)} ms (${(100 * row.peakShare).toFixed(0)}% of peak), pytorch ${t.toFixed(2)} ms, ratio ${(g / t).toFixed(2)}`);
  }
}
console.log('| preset | batch | threads | GFLOP/step | Gantry ms/step | GFLOP/s | share of peak | Gantry peak RSS MB | PyTorch ms/step | PyTorch peak RSS MB | Gantry / PyTorch |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.preset} | ${r.batch} | ${r.threads} | ${r.gflop.toFixed(2)} | ${r.gantryMs.toFixed(2)} | ${r.gflopsPerSecond.toFixed(1)} | ${(100 * r.peakShare).toFixed(0)}% | ${r.gantryRssMb.toFixed(0)} | ${r.pytorchMs.toFixed(2)} | ${r.pytorchRssMb.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
}
