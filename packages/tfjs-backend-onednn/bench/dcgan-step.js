#!/usr/bin/env node
// Times one DCGAN training step (D update + G update) on MNIST-sized data.
//
//   node bench/dcgan-step.js [--backend onednn|cpu] [--batch 64] [--steps 20]
//                            [--warmup 3] [--threads N] [--json]
//   GANTRY_ONEDNN_PROFILE=1 node bench/dcgan-step.js   # adds per-kernel times
//
// Build the package first (native addon and TypeScript). The network is built
// from tf ops and this package's fused ops only, so the same script runs on the
// cpu backend (where the fused ops take their reference path).
import * as tf from '@tensorflow/tfjs';

import { fused, kernelProfile, onednnStatus, registerOnednnBackend, resetKernelProfile, setThreads } from '../dist/src/index.js';

const options = { backend: 'onednn', batch: 64, steps: 20, warmup: 3, threads: undefined, json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const key = argv[i].replace(/^--/, '');
  if (key === 'json') options.json = true;
  else if (key in options) options[key] = key === 'backend' ? argv[++i] : Number(argv[++i]);
  else {
    console.error(`unknown option ${argv[i]}; see the comment at the top of this file`);
    process.exit(2);
  }
}

const LATENT = 100;
const LR = 2e-4, BETA1 = 0.5, BETA2 = 0.999, EPSILON = 1e-7;

if (options.backend === 'onednn') {
  if (!registerOnednnBackend()) {
    const status = onednnStatus();
    console.error(`onednn backend unavailable: ${status.ok ? '?' : status.reason}`);
    process.exit(1);
  }
  if (options.threads !== undefined) setThreads(options.threads);
}
await tf.setBackend(options.backend);

// Glorot-uniform-like initialisation with a fixed seed per variable.
let seed = 1;
function weight(shape, fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed++));
}
const zeros = (shape) => tf.variable(tf.zeros(shape));
const ones = (shape) => tf.variable(tf.ones(shape));

const G = {
  dense: weight([LATENT, 7 * 7 * 128], LATENT, 7 * 7 * 128),
  bn1Gamma: ones([7 * 7 * 128]), bn1Beta: zeros([7 * 7 * 128]),
  deconv1: weight([4, 4, 64, 128], 4 * 4 * 128, 4 * 4 * 64), // [h, w, out, in]
  bn2Gamma: ones([64]), bn2Beta: zeros([64]),
  deconv2: weight([4, 4, 1, 64], 4 * 4 * 64, 4 * 4), deconv2Bias: zeros([1]),
};
const D = {
  conv1: weight([4, 4, 1, 64], 16, 4 * 4 * 64), conv1Bias: zeros([64]),
  conv2: weight([4, 4, 64, 128], 4 * 4 * 64, 4 * 4 * 128), conv2Bias: zeros([128]),
  dense: weight([7 * 7 * 128, 1], 7 * 7 * 128, 1), denseBias: zeros([1]),
};

function generator(z) {
  const b = z.shape[0];
  let h = tf.matMul(z, G.dense); // [b, 6272]
  h = fused.relu(fused.batchNormTraining(h, G.bn1Gamma, G.bn1Beta, 1e-3).y);
  h = tf.reshape(h, [b, 7, 7, 128]);
  h = tf.conv2dTranspose(h, G.deconv1, [b, 14, 14, 64], 2, 'same'); // [b, 14, 14, 64]
  h = fused.relu(fused.batchNormTraining(h, G.bn2Gamma, G.bn2Beta, 1e-3).y);
  h = tf.conv2dTranspose(h, G.deconv2, [b, 28, 28, 1], 2, 'same'); // [b, 28, 28, 1]
  return tf.tanh(tf.add(h, G.deconv2Bias));
}

function discriminator(x) {
  const b = x.shape[0];
  let h = fused.leakyRelu(tf.add(tf.conv2d(x, D.conv1, 2, 'same'), D.conv1Bias), 0.2); // [b, 14, 14, 64]
  h = fused.leakyRelu(tf.add(tf.conv2d(h, D.conv2, 2, 'same'), D.conv2Bias), 0.2); // [b, 7, 7, 128]
  return tf.add(tf.matMul(tf.reshape(h, [b, 7 * 7 * 128]), D.dense), D.denseBias); // logits [b, 1]
}

// Adam state, one (m, v) pair per variable.
function adamState(vars) {
  const list = Object.values(vars);
  return { params: list, m: list.map((p) => zeros(p.shape)), v: list.map((p) => zeros(p.shape)), t: 0 };
}
const optG = adamState(G), optD = adamState(D);

function adamStep(opt, grads) {
  opt.t += 1;
  const lrT = LR * Math.sqrt(1 - BETA2 ** opt.t) / (1 - BETA1 ** opt.t);
  fused.adamUpdate(opt.params, opt.params.map((p) => grads[p.name]), opt.m, opt.v, lrT, BETA1, BETA2, EPSILON);
}

const real = tf.randomUniform([options.batch, 28, 28, 1], -1, 1, 'float32', 1000);

function trainStep(step) {
  // D step: G(z) held fixed; non-saturating loss in softplus form.
  const fake = tf.tidy(() => generator(tf.randomNormal([options.batch, LATENT], 0, 1, 'float32', 2 * step)));
  const d = tf.variableGrads(() => tf.add(
    tf.mean(tf.softplus(tf.neg(discriminator(real)))),
    tf.mean(tf.softplus(discriminator(fake)))), optD.params);
  adamStep(optD, d.grads);
  // G step: fresh z, gradients for G's variables only.
  const g = tf.variableGrads(() => {
    const z = tf.randomNormal([options.batch, LATENT], 0, 1, 'float32', 2 * step + 1);
    return tf.mean(tf.softplus(tf.neg(discriminator(generator(z)))));
  }, optG.params);
  adamStep(optG, g.grads);
  const losses = [d.value, g.value];
  fake.dispose();
  Object.values(d.grads).forEach((t) => t.dispose());
  Object.values(g.grads).forEach((t) => t.dispose());
  const values = losses.map((t) => t.dataSync()[0]);
  losses.forEach((t) => t.dispose());
  return values;
}

for (let i = 0; i < options.warmup; ++i) trainStep(i);
resetKernelProfile();
const times = [];
let lastLosses = [];
const tensorsBefore = tf.memory().numTensors;
for (let i = 0; i < options.steps; ++i) {
  const start = performance.now();
  lastLosses = trainStep(options.warmup + i);
  times.push(performance.now() - start);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const status = options.backend === 'onednn' ? onednnStatus() : undefined;
const result = {
  backend: options.backend,
  batch: options.batch,
  threads: status && status.ok ? status.threads : 1,
  steps: options.steps,
  medianMs: Number(median.toFixed(1)),
  minMs: Number(sorted[0].toFixed(1)),
  maxMs: Number(sorted[sorted.length - 1].toFixed(1)),
  losses: lastLosses.map((l) => Number(l.toFixed(4))),
  tensorLeakPerStep: (tf.memory().numTensors - tensorsBefore) / options.steps,
};
if (options.json) console.log(JSON.stringify(result));
else {
  console.log(`${result.backend} batch ${result.batch} threads ${result.threads}: median ${result.medianMs} ms/step ` +
    `(min ${result.minMs}, max ${result.maxMs}, ${result.steps} steps), losses D ${result.losses[0]} G ${result.losses[1]}`);
}
const profile = kernelProfile();
if (profile.length > 0) {
  const total = profile.reduce((s, k) => s + k.ms, 0);
  console.log(`kernels: ${(total / options.steps).toFixed(1)} ms/step inside kernels`);
  for (const k of profile.slice(0, 25)) {
    console.log(`  ${k.kernel.padEnd(28)} ${(k.ms / options.steps).toFixed(2).padStart(8)} ms/step ` +
      `${String(Math.round(k.calls / options.steps)).padStart(5)} calls/step`);
  }
}
