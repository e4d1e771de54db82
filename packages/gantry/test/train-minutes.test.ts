import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CheckpointStore } from '../src/io/checkpoint.js';
import { train } from '../src/train/loop.js';
import { TimeBudget } from 'gantry-core/train/stopConditions.js';
import { maxAbsDiff, snapshot, tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

test('a time budget is spent exactly when its minutes have passed on its clock', () => {
  let now = 1000;
  const budget = new TimeBudget(1.5, () => now);
  assert.equal(budget.spent(), false);
  now += 89_999;
  assert.equal(budget.spent(), false);
  now += 1;
  assert.equal(budget.spent(), true);
});

test('--minutes stops at a checkpoint of the step reached, and a resumed run ends as an uninterrupted one', async () => {
  const data = tinyImages(22);
  const whole = tempDir();
  const a = await train({ config: tinyConfig({ steps: 7 }), out: whole, data, quiet: true, minutes: 60 });
  assert.equal(a.steps, 7);
  assert.equal(a.outOfTime, false);
  const want = snapshot([...a.gan.G.allVariables(), ...a.gan.D.allVariables()]);
  a.gan.dispose();

  const parts = tempDir();
  // a budget of a microsecond is spent by the end of the first step
  const first = await train({ config: tinyConfig({ steps: 7 }), out: parts, data, quiet: true, minutes: 1e-8 });
  assert.equal(first.outOfTime, true);
  assert.equal(first.steps, 1);
  first.gan.dispose();
  // checkpointEvery is 3: step 1's checkpoint is there only because the budget stopped the run
  assert.equal(new CheckpointStore(parts).latestName(), 'step-000000001');

  const second = await train({ config: tinyConfig({ steps: 7 }), out: parts, data, quiet: true, resume: true });
  assert.equal(second.steps, 7);
  assert.equal(second.outOfTime, false);
  assert.equal(maxAbsDiff(want, snapshot([...second.gan.G.allVariables(), ...second.gan.D.allVariables()])), 0);
  second.gan.dispose();
});

test('a budget spent on the last planned step stops nothing early', async () => {
  const out = tempDir();
  const r = await train({ config: tinyConfig({ steps: 1 }), out, data: tinyImages(22), quiet: true, minutes: 1e-8 });
  assert.equal(r.steps, 1);
  assert.equal(r.outOfTime, false);
  r.gan.dispose();
});
