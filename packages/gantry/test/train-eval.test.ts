import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { loadDataset } from '../src/data/load.js';
import { UsageError } from 'gantry-core/errors.js';
import { RunCheckpoints } from 'gantry-core/run/checkpointStore.js';
import { CheckpointStore } from '../src/io/checkpoint.js';
import { FsRunStore } from '../src/io/fsRunStore.js';
import { MetricsLog } from '../src/io/metricsLog.js';
import { train } from '../src/train/loop.js';
import { tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');
process.env.GANTRY_CACHE_DIR ??= join(tempDir(), 'cache');

const mnistShaped = (over: Record<string, unknown>) =>
  resolveTrainConfig({
    latentDim: 8,
    generator: { input: [8], layers: [{ kind: 'dense', units: 784 }, { kind: 'sigmoid' }, { kind: 'reshape', shape: [28, 28, 1] }] },
    discriminator: { input: [28, 28, 1], layers: [{ kind: 'flatten' }, { kind: 'dense', units: 1 }] },
    pixelRange: '0,1',
    data: 'mnist',
    batchSize: 8,
    logEvery: 5,
    sampleEvery: 1000,
    checkpointEvery: 1000,
    evalSamples: 20,
    backend: 'cpu',
    ...over,
  }, {});

test('--until-fid stops training when the target is reached and keeps that checkpoint as the best', async () => {
  const out = tempDir();
  const data = await loadDataset('mnist', { limit: 200 });
  const r = await train({ config: mnistShaped({ steps: 20, evalEvery: 5, untilFid: 1e9 }), out, data, quiet: true });
  assert.equal(r.steps, 5);
  assert.match(String(r.targetReached), /FID [\d.]+ <= 1000000000/);
  r.gan.dispose();
  const best = new CheckpointStore(out).best();
  assert.equal(best?.step, 5);
  assert.ok(existsSync(join(out, 'checkpoints', 'step-000000005')));
  const evals = MetricsLog.read(join(out, 'metrics.jsonl')).filter((m) => 'eval/fid' in m);
  assert.equal(evals.length, 1);
  for (const key of ['eval/fid', 'eval/kid', 'eval/is', 'eval/precision', 'eval/recall', 'eval/classes', 'eval/class_kl']) {
    assert.equal(typeof evals[0][key], 'number', key);
  }
  assert.ok((evals[0]['eval/fid'] as number) > 0);
});

test('evaluation runs on its cadence and tracks the best FID', async () => {
  const out = tempDir();
  const data = await loadDataset('mnist', { limit: 200 });
  const r = await train({ config: mnistShaped({ steps: 10, evalEvery: 5 }), out, data, quiet: true });
  r.gan.dispose();
  const evals = MetricsLog.read(join(out, 'metrics.jsonl')).filter((m) => 'eval/fid' in m);
  assert.deepEqual(evals.map((e) => e.step), [5, 10]);
  const bestFid = Math.min(...evals.map((e) => e['eval/fid'] as number));
  const best = JSON.parse(readFileSync(join(out, 'checkpoints', 'best.json'), 'utf8'));
  assert.equal(best.value, bestFid);
});

test('pruning old checkpoints never removes the best one', async () => {
  const out = tempDir();
  const r = await train({ config: tinyConfig({ steps: 2, checkpointEvery: 2 }), out, data: tinyImages(), quiet: true });
  const store = new RunCheckpoints(new FsRunStore(out));
  await store.markBest(2, 'fid', 1.5);
  for (const step of [3, 4, 5, 6]) await store.save(step, r.gan.namedState(), r.gan.counters(), {}, 2);
  r.gan.dispose();
  assert.ok(existsSync(join(out, 'checkpoints', 'step-000000002')), 'best was pruned');
  assert.ok(!existsSync(join(out, 'checkpoints', 'step-000000004')));
  assert.ok(existsSync(join(out, 'checkpoints', 'step-000000006')));
});

test('evaluation settings are validated', () => {
  assert.throws(() => tinyConfig({ untilFid: 10 }), (e: unknown) => e instanceof UsageError && /needs evaluation during training/.test(e.message));
  assert.throws(() => tinyConfig({ evalEvery: 5, data: 'npy:/data/x.npy' }), (e: unknown) => e instanceof UsageError && /feature network.*not for npy:\/data\/x.npy/.test(e.message));
});
