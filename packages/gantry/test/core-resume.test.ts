import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CheckpointStore, restoreVariables } from '../src/io/checkpoint.js';
import { MetricsLog } from '../src/io/metricsLog.js';
import { train } from '../src/train/loop.js';
import { openRun } from '../src/runFolder/checkpoints.js';
import { Gan } from 'gantry-core/train/gan.js';
import { UsageError } from 'gantry-core/errors.js';
import { maxAbsDiff, snapshot, tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

function everything(gan: Gan) {
  return snapshot([...gan.G.allVariables(), ...gan.D.allVariables(), ...gan.optG.slots, ...gan.optD.slots]);
}

const comparable = (path: string) =>
  MetricsLog.read(path).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('time/'))));

test('a resumed run repeats an uninterrupted run exactly (weights, optimizer state, metrics)', async () => {
  const data = tinyImages(22);
  const whole = tempDir();
  const a = await train({ config: tinyConfig({ steps: 8 }), out: whole, data, quiet: true });
  const wantState = everything(a.gan);
  a.gan.dispose();

  const parts = tempDir();
  const first = await train({ config: tinyConfig({ steps: 3 }), out: parts, data, quiet: true });
  first.gan.dispose();
  // a later run of the same directory with a larger total continues from step 3
  const second = await train({ config: tinyConfig({ steps: 8 }), out: parts, data, quiet: true, resume: true });
  assert.equal(maxAbsDiff(wantState, everything(second.gan)), 0);
  assert.equal(second.gan.optG.iterations, 8);
  second.gan.dispose();
  assert.deepEqual(comparable(join(parts, 'metrics.jsonl')), comparable(join(whole, 'metrics.jsonl')));
});

test('checkpoints are complete and the store keeps the newest ones', async () => {
  const out = tempDir();
  const r = await train({ config: tinyConfig({ steps: 12, checkpointEvery: 2, keepCheckpoints: 2 }), out, data: tinyImages(), quiet: true });
  const store = new CheckpointStore(out);
  assert.equal(store.latestName(), 'step-000000012');
  const loaded = store.load();
  assert.deepEqual(Object.keys(loaded.manifest.groups).sort(), ['discriminator', 'generator', 'optimizerD', 'optimizerG']);
  assert.equal(loaded.manifest.counters.optimizerG, 12);
  const opened = openRun(out);
  assert.equal(maxAbsDiff(snapshot(r.gan.G.allVariables()), snapshot(opened.gan.G.allVariables())), 0);
  opened.gan.dispose();
  r.gan.dispose();
  const dirs = ['step-000000008', 'step-000000010', 'step-000000012'].map((d) => existsSync(join(out, 'checkpoints', d)));
  assert.deepEqual(dirs, [false, true, true]);
});

test('a damaged or foreign checkpoint is refused with a usage error', async () => {
  const out = tempDir();
  const r = await train({ config: tinyConfig({ steps: 3 }), out, data: tinyImages(), quiet: true });
  r.gan.dispose();
  const weights = join(out, 'checkpoints', 'step-000000003', 'weights.bin');
  const bytes = readFileSync(weights);
  writeFileSync(weights, bytes.subarray(0, bytes.length - 4));
  assert.throws(() => new CheckpointStore(out).load(), (e: unknown) => e instanceof UsageError && /truncated or damaged/.test(e.message));
  writeFileSync(weights, bytes);
  const other = new Gan(tinyConfig({ generator: { input: [8], layers: [{ kind: 'dense', units: 64 }, { kind: 'reshape', shape: [8, 8, 1] }] } }));
  assert.throws(() => restoreVariables(new CheckpointStore(out).load(), other.namedState()), (e: unknown) => e instanceof UsageError && /another architecture/.test(e.message));
  other.dispose();
});
