// Reading and watching a run folder (src/runFolder/): what the worker, the sweep's status and the
// dashboard learn from the files a trainer leaves, without the dashboard's own series.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunOnDisk } from '../src/runFolder/records.js';
import { MetricsTail } from '../src/runFolder/metricsTail.js';
import { RunFolderWatch } from '../src/runFolder/watch.js';
import { writeFixtureRoot, writeFixtureRun } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

test('MetricsTail without a sink (as the worker follows its run): torn lines wait, a rewritten (shorter) log is read again', async () => {
  const path = join(tempDir('gantry-run-folder-'), 'metrics.jsonl');
  const tail = new MetricsTail(path);
  assert.equal(await tail.update(), false);
  assert.equal(tail.lastStep, null);
  writeFileSync(path, '{"step":10,"loss/D":1}\n{"step":10,"eval/fid":50}\n{"step":20,"lo');
  await tail.update();
  assert.deepEqual([tail.lastStep, tail.lastFid, tail.bestFid], [10, { step: 10, value: 50 }, { step: 10, value: 50 }]);
  appendFileSync(path, 'ss/D":1}\n{"step":20,"eval/fid":70,"eval/kid":0.07}\n');
  await tail.update();
  assert.deepEqual([tail.lastStep, tail.lastFid?.value, tail.bestFid?.value, tail.lastKid], [20, 70, 50, { step: 20, value: 0.07 }]);
  // a resume keeps only the records up to its checkpoint (the same file, shorter)
  writeFileSync(path, '{"step":5,"eval/fid":90}\n');
  assert.equal(await tail.update(), true);
  assert.deepEqual([tail.lastStep, tail.lastFid?.value, tail.bestFid?.value, tail.lastKid], [5, 90, 90, null]);
});

test('every state of the fixture runs follows from the folder alone', async () => {
  const root = tempDir('gantry-run-folder-');
  const expected = writeFixtureRoot(root);
  for (const [id, state] of Object.entries(expected)) {
    const watch = new RunFolderWatch(join(root, id));
    await watch.refresh();
    assert.equal(watch.state(), state, id);
  }
});

test('a quality target met by the last KID finishes a run that stopped short of its steps', async () => {
  const dir = join(tempDir('gantry-run-folder-'), 'run');
  writeFixtureRun(dir, { lastStep: 250, totalSteps: 1000, checkpoint: 250, fids: [90, 60, 45, 50, 41] });
  const watch = new RunFolderWatch(dir);
  await watch.refresh();
  assert.equal(watch.state(), 'stopped');
  assert.deepEqual(watch.metrics.lastKid, { step: 250, value: 0.041 });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, untilKid: 0.045 }));
  assert.equal((await watch.refresh()).other, true);
  assert.equal(watch.state(), 'finished');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, untilKid: 0.04 }));
  await watch.refresh();
  assert.equal(watch.state(), 'stopped', 'the last KID (0.041) is above 0.04');
});

test('a watched run folder says which parts changed since the last look', async () => {
  const dir = join(tempDir('gantry-run-folder-'), 'run');
  writeFixtureRun(dir, { lastStep: 100, totalSteps: 1000, checkpoint: 100, samples: [100] });
  const watch = new RunFolderWatch(dir);
  assert.deepEqual(await watch.refresh(), { metrics: true, samples: true, other: true });
  assert.deepEqual(await watch.refresh(), { metrics: false, samples: false, other: false });
  assert.deepEqual([watch.sampleSteps, watch.sampleFile(100), watch.latestCheckpoint, watch.totalSteps], [[100], 'step-000000100.png', 100, 1000]);
  appendFileSync(join(dir, 'metrics.jsonl'), '{"step":110,"loss/D":1}\n');
  assert.deepEqual(await watch.refresh(), { metrics: true, samples: false, other: false });
  assert.equal(watch.metrics.lastStep, 110);
  // a folder's modification time moves on the kernel's coarse clock: let it tick first
  await new Promise((resolve) => setTimeout(resolve, 30));
  writeFileSync(join(dir, 'samples', 'step-000000200.png'), '');
  assert.deepEqual(await watch.refresh(), { metrics: false, samples: true, other: false });
  assert.deepEqual(watch.sampleSteps, [100, 200]);
  writeFileSync(join(dir, 'train.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }) + '\n');
  assert.deepEqual(await watch.refresh(), { metrics: false, samples: false, other: true });
  assert.deepEqual([watch.state(), watch.lock], ['running', { kind: 'live', pid: process.pid, startedAt: '2026-01-01T00:00:00.000Z' }]);
});

test('a run read whole (sweep status and results): its checkpoint, plan and FIDs', () => {
  const dir = join(tempDir('gantry-run-folder-'), 'run');
  writeFixtureRun(dir, { lastStep: 500, totalSteps: 500, checkpoint: 500, fids: [90, 60, 45, 50, 41], torn: true });
  assert.deepEqual(readRunOnDisk(dir), { step: 500, total: 500, bestFid: 41, bestFidStep: 250, lastFid: 41, loggedStep: 500 });
  assert.deepEqual(readRunOnDisk(join(dir, 'missing')), { step: 0, total: 0, bestFid: null, bestFidStep: null, lastFid: null, loggedStep: 0 });
});
