import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from 'gantry-core/errors.js';
import { CheckpointStore } from '../src/io/checkpoint.js';
import { MetricsLog } from '../src/io/metricsLog.js';
import { train } from '../src/train/loop.js';
import { openRun } from '../src/runFolder/checkpoints.js';
import { tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

// Checkpoints at steps 3 and 6; the runs below continue to step 9.
const data = tinyImages(22);
const short = () => tinyConfig({ steps: 6, checkpointEvery: 3 });
const long = () => tinyConfig({ steps: 9, checkpointEvery: 3 });
const finalWeights = (run: string) => readFileSync(join(run, 'checkpoints', 'step-000000009', 'weights.bin'));
const ckpt = (run: string, step: number, file: string) => join(run, 'checkpoints', `step-${String(step).padStart(9, '0')}`, file);

/** A run trained to step 6, copied fresh for each case. */
const base = tempDir();
(await train({ config: short(), out: base, data, quiet: true })).gan.dispose();
const copy = () => {
  const dir = tempDir();
  cpSync(base, dir, { recursive: true });
  return dir;
};

/** What a run resumed at `from` by name gives at step 9: the reference for each case. */
async function resumedFromByName(from: number): Promise<Buffer> {
  const dir = copy();
  (await train({ config: long(), out: dir, data, quiet: true, resumeFrom: String(from) })).gan.dispose();
  return finalWeights(dir);
}
const fromStep3 = await resumedFromByName(3);
const fromStep6 = await resumedFromByName(6);

/** Resume `dir` to step 9 and return the step it started at, and what it wrote on stderr. */
async function resume(dir: string): Promise<{ startStep: number; warnings: string[] }> {
  const warnings: string[] = [];
  const write = console.error;
  console.error = (...args: unknown[]) => warnings.push(args.join(' '));
  let startStep = -1;
  try {
    const r = await train({ config: long(), out: dir, data, quiet: true, resume: true, onReady: (i) => (startStep = i.startStep) });
    r.gan.dispose();
  } finally {
    console.error = write;
  }
  return { startStep, warnings };
}

test('an untouched run resumes from step 6 without a warning; exact resume ends every starting point alike', async () => {
  // so the final weights below check that each fallback trained on correctly, and the start step
  // checks which checkpoint it took
  assert.ok(fromStep3.equals(fromStep6));
  const untouched = copy();
  const { startStep, warnings } = await resume(untouched);
  assert.equal(startStep, 6);
  assert.deepEqual(warnings, []);
  assert.ok(finalWeights(untouched).equals(fromStep6));
});

test('a flipped byte in the latest weights: resume from step 3, say so once, log it, end as a run resumed from 3', async () => {
  const dir = copy();
  const file = ckpt(dir, 6, 'weights.bin');
  const bytes = readFileSync(file);
  bytes[100] ^= 0x01;
  writeFileSync(file, bytes);
  const { startStep, warnings } = await resume(dir);
  assert.equal(startStep, 3);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^gantry: warning: checkpoint step-000000006 skipped \(weights\.bin does not match its manifest \(truncated or damaged\)\); continuing from step-000000003$/);
  const events = MetricsLog.read(join(dir, 'metrics.jsonl')).filter((r) => r.event === 'checkpoint-skipped');
  assert.deepEqual(events, [{ step: 3, event: 'checkpoint-skipped', checkpoint: 'step-000000006', reason: 'weights.bin does not match its manifest (truncated or damaged)', resumedFrom: 'step-000000003' }]);
  assert.ok(finalWeights(dir).equals(fromStep3));
  // no step is logged twice after the fallback
  const steps = MetricsLog.read(join(dir, 'metrics.jsonl')).filter((r) => !r.event).map((r) => r.step);
  assert.deepEqual(steps, [...new Set(steps)]);
});

test('a truncated manifest: resume from step 3', async () => {
  const dir = copy();
  const file = ckpt(dir, 6, 'manifest.json');
  writeFileSync(file, readFileSync(file).subarray(0, 50));
  const { startStep, warnings } = await resume(dir);
  assert.equal(startStep, 3);
  assert.match(warnings[0], /checkpoint step-000000006 skipped \(manifest\.json is missing or unreadable/);
  assert.ok(finalWeights(dir).equals(fromStep3));
});

test('latest.json deleted: resume from the newest intact checkpoint, step 6, without a warning', async () => {
  const dir = copy();
  rmSync(join(dir, 'checkpoints', 'latest.json'));
  const { startStep, warnings } = await resume(dir);
  assert.equal(startStep, 6);
  assert.deepEqual(warnings, []);
  assert.ok(finalWeights(dir).equals(fromStep6));
});

test('--resume-from names a checkpoint: a damaged one is an error, not a fallback', async () => {
  const dir = copy();
  writeFileSync(ckpt(dir, 3, 'weights.bin'), 'x');
  await assert.rejects(train({ config: long(), out: dir, data, quiet: true, resumeFrom: '3' }), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /step-000000003: weights\.bin does not match its manifest/);
    return true;
  });
  await assert.rejects(train({ config: long(), out: dir, data, quiet: true, resumeFrom: 'step-000000004' }), /no checkpoint step-000000004 in .*; it has step-000000006, step-000000003/);
  await assert.rejects(train({ config: long(), out: dir, data, quiet: true, resumeFrom: 'latest' }), /'latest' is not a checkpoint name/);
});

test('--resume of a run that ended before its first checkpoint starts at step 0 and logs no step twice', async () => {
  const dir = copy();
  rmSync(join(dir, 'checkpoints'), { recursive: true });
  assert.ok(MetricsLog.read(join(dir, 'metrics.jsonl')).some((r) => r.step === 6), 'the old run logged up to step 6');
  const { startStep } = await resume(dir);
  assert.equal(startStep, 0);
  const steps = MetricsLog.read(join(dir, 'metrics.jsonl')).filter((r) => r.event === undefined).map((r) => r.step);
  assert.deepEqual(steps, [...new Set(steps)], `a step is logged twice: ${steps.join(', ')}`);
  assert.equal(steps.at(-1), 9);
});

test('no intact checkpoint at all: one usage error listing each and why', async () => {
  const dir = copy();
  writeFileSync(ckpt(dir, 3, 'weights.bin'), 'x');
  rmSync(ckpt(dir, 6, 'manifest.json'));
  await assert.rejects(resume(dir), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^no intact checkpoint in .*checkpoints \(step-000000006: manifest\.json is missing or unreadable .*; step-000000003: weights\.bin does not match its manifest \(truncated or damaged\)\); the run cannot be continued or sampled; train it again in a new --out$/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

test('sample and eval (openRun) take the same fallback unless a checkpoint is named', () => {
  const dir = copy();
  const file = ckpt(dir, 6, 'weights.bin');
  writeFileSync(file, readFileSync(file).subarray(0, 10));
  const opened = openRun(dir);
  assert.equal(opened.step, 3);
  assert.deepEqual(opened.skipped.map((s) => s.name), ['step-000000006']);
  opened.gan.dispose();
  assert.throws(() => openRun(dir, 'step-000000006'), /step-000000006: weights\.bin does not match/);
  assert.deepEqual(new CheckpointStore(dir).candidates(), ['step-000000006', 'step-000000003']);
});
