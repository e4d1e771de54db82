#!/usr/bin/env node
// Where the time of one D+G training step goes, kernel by kernel, on the onednn backend.
//   GANTRY_THREADS=1 node bench/profile-step.js [--preset dcgan-mnist] [--steps 20]
// Prints a markdown table: per-step milliseconds and share of each kernel, and the time
// spent outside kernels (the tape, tidy, allocation, garbage collection, JS glue).
import { parseArgs } from 'node:util';

process.env.GANTRY_ONEDNN_PROFILE ??= '1';
const { values } = parseArgs({ options: { preset: { type: 'string', default: 'dcgan-mnist' }, steps: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' } } });
const { selectBackend } = await import('../packages/gantry/dist/src/backend.js');
const { resolveTrainConfig } = await import('../packages/core/dist/src/config.js');
const { Gan } = await import('../packages/core/dist/src/train/gan.js');
const { RandomRealBatch, disposeStepInputs, stepInputs, withAssumedClasses } = await import('../packages/core/dist/src/train/stepInputs.js');
const onednn = await import('tfjs-backend-onednn');

const backend = await selectBackend('onednn');
const config = withAssumedClasses(resolveTrainConfig({}, { preset: values.preset }));
const gan = new Gan(config);
const b = config.batchSize;
// the step's inputs as gantry bench makes them: one random real batch, reused
const real = new RandomRealBatch(config, gan.G.outputShape);
const step = async (i) => {
  const inputs = stepInputs(config, i, real);
  await gan.trainStep(i, inputs.d, inputs.g, false);
  gan.G.trainable[0].variable.dataSync();
  disposeStepInputs(inputs, true);
};
const warmup = Number(values.warmup);
const steps = Number(values.steps);
for (let i = 0; i < warmup; i++) await step(i);
onednn.resetKernelProfile();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step(warmup + i);
const total = (performance.now() - t0) / steps;
const rows = onednn.kernelProfile();
const inKernels = rows.reduce((a, r) => a + r.ms, 0) / steps;
console.log(`${config.preset}, batch ${b}, backend ${backend.name}, ${backend.threads} thread(s): ${total.toFixed(1)} ms per D+G step (mean over ${steps} steps)\n`);
console.log('| kernel | calls per step | ms per step | share |');
console.log('|---|---|---|---|');
for (const r of rows.filter((r) => r.ms / steps >= 0.05)) {
  console.log(`| ${r.kernel} | ${(r.calls / steps).toFixed(0)} | ${(r.ms / steps).toFixed(2)} | ${((100 * r.ms) / steps / total).toFixed(1)}% |`);
}
console.log(`| (all kernels) | ${(rows.reduce((a, r) => a + r.calls, 0) / steps).toFixed(0)} | ${inKernels.toFixed(2)} | ${((100 * inKernels) / total).toFixed(1)}% |`);
console.log(`| outside kernels: tape, tidy, allocation, GC, JS | | ${(total - inKernels).toFixed(2)} | ${((100 * (total - inKernels)) / total).toFixed(1)}% |`);
