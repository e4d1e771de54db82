import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvalResult } from '../src/eval/evaluate.js';
import type { RunCheckpoints } from 'gantry-core/run/checkpointStore.js';
import { CheckpointPolicy } from 'gantry-core/train/checkpointPolicy.js';
import type { Gan } from 'gantry-core/train/gan.js';
import { qualityTargetsMet } from 'gantry-core/train/stopConditions.js';
import { tinyConfig } from './fixtures.js';

/** A checkpoint store that only records what it was asked to do. */
function recordingStore(best: number | null = null) {
  const calls: string[] = [];
  const store = {
    save: async (step: number) => calls.push(`save ${step}`),
    markBest: async (step: number, metric: string, value: number) => calls.push(`best ${step} ${metric} ${value}`),
    best: async () => (best === null ? null : { step: 1, dir: 'step-000000001', metric: 'fid', value: best }),
  };
  return { calls, store: store as unknown as RunCheckpoints };
}

const gan = { namedState: () => ({}), counters: () => ({}) } as unknown as Gan;

test('checkpoints are due on the cadence, at the last step and when the run is stopping', async () => {
  const config = tinyConfig({ steps: 10, checkpointEvery: 4 });
  const policy = await CheckpointPolicy.create(config, recordingStore().store, gan, 0);
  const due = [...Array(10).keys()].map((i) => i + 1).filter((done) => policy.due(done, false));
  assert.deepEqual(due, [4, 8, 10]);
  assert.equal(policy.due(5, true), true);
});

test('an evaluation keeps a new best FID and a step that met a target, each checkpoint written once', async () => {
  const config = tinyConfig({ steps: 10, checkpointEvery: 4 });
  const { calls, store } = recordingStore(20);
  const policy = await CheckpointPolicy.create(config, store, gan, 2);
  assert.equal(policy.lastStep, 2, 'the checkpoint the run started from');
  await policy.afterEvaluation(3, 25, false); // worse than the stored best, no target: nothing
  await policy.afterEvaluation(4, 15, false); // a new best
  await policy.save(8);
  await policy.afterEvaluation(8, 12, false); // a new best at a step already saved: marked, not written again
  await policy.afterEvaluation(9, 30, true); // worse, but it met a target
  assert.deepEqual(calls, ['save 4', 'best 4 fid 15', 'save 8', 'best 8 fid 12', 'save 9']);
  assert.equal(policy.lastStep, 9);
});

test('quality targets: FID and KID at or under their limits, said in one line; none set or none met is null', () => {
  const result = { fid: 4, kid: { mean: 0.02, std: 0 } } as EvalResult;
  const targets = (untilFid: number | null, untilKid: number | null) => qualityTargetsMet({ untilFid, untilKid }, result);
  assert.equal(targets(null, null), null);
  assert.equal(targets(5, null), 'FID 4.000 <= 5');
  assert.equal(targets(4, 0.01), 'FID 4.000 <= 4');
  assert.equal(targets(3, 0.02), 'KID 0.0200 <= 0.02');
  assert.equal(targets(5, 0.05), 'FID 4.000 <= 5, KID 0.0200 <= 0.05');
  assert.equal(targets(3.9, 0.019), null);
});
