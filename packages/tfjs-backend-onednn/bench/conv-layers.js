#!/usr/bin/env node
// Times, one by one, the convolution passes of the presets' layers that the backend's own
// kernels (few-channel and tiled, native/fewconv.h and native/tiledconv.h) take, through the
// native addon as the kernels call it: the median of 21 calls in milliseconds, each after a
// 64 MB buffer was touched (caches flushed, as inside a training step). Run it twice, with the
// kernels and without, to compare them with oneDNN's on the same CPU tier, e.g. on AVX2:
//
//   GANTRY_CPU_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 node bench/conv-layers.js [--threads N] [--only REGEX]
//   GANTRY_CPU_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 GANTRY_FEW_CHANNEL_KERNELS=0 GANTRY_TILED_CONV=0 \
//     node bench/conv-layers.js [--threads N]
//
// (GANTRY_FEW_CHANNEL_KERNELS=1 and GANTRY_TILED_CONV=1 run the kernels on a tier where they
// are off by default.) Each line: the layer, the pass, the milliseconds and the kernel that ran
// ('tiled:<tier>', oneDNN's name, or 'own' for the few-channel kernels and conv.cc's sgemm path
// for the input gradient of few input channels).
// Build the package first (native addon and TypeScript).
import { nativeAddon } from '../dist/src/addon.js';
import { onednnCpuTier, registerOnednnBackend, setThreads } from '../dist/src/index.js';

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const threads = Number(option('--threads') ?? 1);
const only = new RegExp(option('--only') ?? '');
if (!registerOnednnBackend()) throw new Error('the onednn addon does not load');
setThreads(threads);
const addon = nativeAddon();

// [name, pass, n, h, w, c, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr]: pass F forward,
// D input gradient, W filter gradient (the geometry of conv2d; a transposed convolution's
// forward pass is its D).
const layers = [
  ['dcgan-mnist 28x28x1 to 64, 4x4 s2', 'F', 64, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 28x28x1 to 64, 4x4 s2', 'D', 64, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 28x28x1 to 64, 4x4 s2', 'W', 64, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 28x28x1 to 64, D step', 'F', 128, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 28x28x1 to 64, D step', 'W', 128, 28, 28, 1, 4, 4, 64, 14, 14, 2, 2, 1, 1, 1, 1, 1, 1],
  ['sngan64 64x64x3 to 16, 3x3', 'F', 32, 64, 64, 3, 3, 3, 16, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  ['sngan64 64x64x3 to 16, 3x3', 'D', 32, 64, 64, 3, 3, 3, 16, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  ['sngan64 64x64x3 to 16, 3x3', 'W', 32, 64, 64, 3, 3, 3, 16, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  ['sngan64 32x32x3 to 16, 1x1', 'F', 32, 32, 32, 3, 1, 1, 16, 32, 32, 1, 1, 1, 1, 0, 0, 0, 0],
  ['sngan64 32x32x3 to 16, 1x1', 'W', 64, 32, 32, 3, 1, 1, 16, 32, 32, 1, 1, 1, 1, 0, 0, 0, 0],
  ['sngan64 64x64x16 to 3, 3x3', 'F', 32, 64, 64, 16, 3, 3, 3, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  ['sngan64 64x64x16 to 3, 3x3', 'W', 32, 64, 64, 16, 3, 3, 3, 64, 64, 1, 1, 1, 1, 1, 1, 1, 1],
  ['dcgan64 64x64x3 to 32, 4x4 s2', 'D', 64, 64, 64, 3, 4, 4, 32, 32, 32, 2, 2, 1, 1, 1, 1, 1, 1],
  ['resnet-folder32 32x32x3 to 128, 3x3', 'D', 32, 32, 32, 3, 3, 3, 128, 32, 32, 1, 1, 1, 1, 1, 1, 1, 1],
  ['resnet-folder32 32x32x3 to 128, 3x3', 'W', 64, 32, 32, 3, 3, 3, 128, 32, 32, 1, 1, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 14x14x64 to 128, 4x4 s2', 'D', 64, 14, 14, 64, 4, 4, 128, 7, 7, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 14x14x64 to 128, 4x4 s2', 'W', 64, 14, 14, 64, 4, 4, 128, 7, 7, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 14x14x64 to 128, D step', 'D', 128, 14, 14, 64, 4, 4, 128, 7, 7, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan-mnist 14x14x64 to 128, D step', 'W', 128, 14, 14, 64, 4, 4, 128, 7, 7, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan64 16x16x64 to 128, 4x4 s2', 'D', 64, 16, 16, 64, 4, 4, 128, 8, 8, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan64 16x16x64 to 128, 4x4 s2', 'W', 64, 16, 16, 64, 4, 4, 128, 8, 8, 2, 2, 1, 1, 1, 1, 1, 1],
  ['dcgan64 8x8x128 to 256, 4x4 s2', 'W', 64, 8, 8, 128, 4, 4, 256, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1],
  ['sngan64 16x16x64 to 128, 4x4 s2', 'W', 32, 16, 16, 64, 4, 4, 128, 8, 8, 2, 2, 1, 1, 1, 1, 1, 1],
  ['resnet-folder32 32x32x128 to 128, 4x4 s2', 'D', 32, 32, 32, 128, 4, 4, 128, 16, 16, 2, 2, 1, 1, 1, 1, 1, 1],
  ['resnet-folder32 32x32x128 to 128, 4x4 s2', 'W', 32, 32, 32, 128, 4, 4, 128, 16, 16, 2, 2, 1, 1, 1, 1, 1, 1],
  ['resnet-folder32 8x8x128 to 128, 4x4 s2', 'W', 32, 8, 8, 128, 4, 4, 128, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1],
];

const junk = new Float32Array(16 << 20);
function random(size, seed) {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

function median(f, reps = 21) {
  f();
  f();
  const t = [];
  for (let i = 0; i < reps; ++i) {
    for (let j = 0; j < junk.length; j += 16) junk[j] += 1;
    const a = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[reps >> 1];
}

console.log(`tier ${onednnCpuTier()}, oneDNN ${addon.version()}, ${threads} thread(s)`);
for (const [name, pass, ...d] of layers) {
  if (!only.test(`${name} ${pass}`)) continue;
  const g = Int32Array.from(d);
  const [n, h, w, c, kh, kw, oc, oh, ow] = d;
  const x = random(n * h * w * c, 1), y = random(n * oh * ow * oc, 2), f = random(kh * kw * c * oc, 3);
  const kind = { F: 0, D: 1, W: 2 }[pass];
  const run = {
    F: () => addon.conv2dForward(x, f, null, y, g, 0, 0),
    D: () => addon.conv2dBackwardData(y, f, x, g),
    W: () => addon.conv2dBackwardFilter(x, y, f, g),
  }[pass];
  const ms = median(run);
  const impl = addon.conv2dImplementation(kind, g, 0, 0, 0) || 'own';
  console.log(`${name.padEnd(44)} ${pass} ${ms.toFixed(3).padStart(8)} ms  ${impl}`);
}
