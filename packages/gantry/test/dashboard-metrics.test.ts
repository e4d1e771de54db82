import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsTail } from '../src/dashboard/metricsTail.js';
import { MinMaxSeries } from '../src/dashboard/minMaxSeries.js';
import { deriveState, readLockStatus, type StateEvidence } from '../src/dashboard/runState.js';
import { deadPid } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

test('MinMaxSeries keeps a short series exactly', () => {
  const s = new MinMaxSeries(16);
  for (let i = 0; i < 10; i++) s.push(i * 10, i * i);
  const p = s.points(2000);
  assert.deepEqual(p.x, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(p.y, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  assert.equal(s.count, 10);
  s.push(100, NaN); // not finite: skipped
  assert.equal(s.count, 10);
});

test('MinMaxSeries bounds a long series and keeps every extreme, in step order, and the last point', () => {
  const s = new MinMaxSeries(256);
  const n = 100_000;
  const y = (i: number) => Math.sin(i / 500) + (i === 31_337 ? 50 : 0) - (i === 77_777 ? 40 : 0);
  for (let i = 0; i < n; i++) s.push(i, y(i));
  const p = s.points(200);
  assert.ok(p.x.length <= 203, `at most about 200 points, got ${p.x.length}`);
  assert.ok(p.x.length >= 100, `not too few either, got ${p.x.length}`);
  for (let i = 1; i < p.x.length; i++) assert.ok(p.x[i] >= p.x[i - 1], 'steps ascend');
  // the spike and the dip survive, at their own steps
  assert.equal(p.y[p.x.indexOf(31_337)], y(31_337));
  assert.equal(p.y[p.x.indexOf(77_777)], y(77_777));
  assert.equal(Math.max(...p.y), y(31_337));
  assert.equal(Math.min(...p.y), y(77_777));
  assert.equal(p.x[p.x.length - 1], n - 1);
  assert.equal(p.y[p.y.length - 1], y(n - 1));
  // every returned point is a real one
  for (let i = 0; i < p.x.length; i++) assert.equal(p.y[i], y(p.x[i]));
  assert.equal(s.count, n);
});

test('MetricsTail reads only appended bytes, waits for a line to be complete, counts torn lines', async () => {
  const dir = tempDir('gantry-tail-');
  const path = join(dir, 'metrics.jsonl');
  const tail = new MetricsTail(path, 64);
  assert.equal(await tail.update(), false, 'no file yet: nothing to read');
  writeFileSync(path, '{"step":1,"loss/D":1.5}\n{"step":2,"loss/D":1.25}\n');
  assert.equal(await tail.update(), true);
  assert.equal(tail.lines, 2);
  assert.deepEqual(tail.series.get('loss/D')!.points().y, [1.5, 1.25]);
  // half a line: pending, not yet a record
  appendFileSync(path, '{"step":3,"loss/D":');
  await tail.update();
  assert.equal(tail.lines, 2);
  assert.ok(tail.pendingBytes > 0);
  appendFileSync(path, '1.0,"eval/fid":42}\n');
  await tail.update();
  assert.equal(tail.lines, 3);
  assert.equal(tail.pendingBytes, 0);
  assert.deepEqual(tail.lastFid, { step: 3, value: 42 });
  // bytes already read are never read again: rewriting them in place (same size) changes nothing
  const before = tail.series.get('loss/D')!.points().y;
  writeFileSync(path, '{"step":1,"loss/D":9.5}\n{"step":2,"loss/D":9.25}\n{"step":3,"loss/D":1.0,"eval/fid":42}\n');
  await tail.update();
  assert.deepEqual(tail.series.get('loss/D')!.points().y, before);
  // a line torn by a crash, then the resumed run's lines after it
  appendFileSync(path, '{"step":4,"loss/D":0.\n{"step":5,"loss/D":0.5,"time/elapsed_s":1}\n{"step":6,"event":"diverged","detail":"L_D = NaN"}\n');
  await tail.update();
  assert.equal(tail.badLines, 1);
  assert.equal(tail.lines, 6);
  assert.equal(tail.lastStep, 5);
  assert.deepEqual(tail.events, [{ step: 6, event: 'diverged', detail: 'L_D = NaN' }]);
  assert.equal(tail.lastAny?.event, 'diverged');
});

test('MetricsTail starts over when the file is replaced (a resume rewrites it) and sums training time over sessions', async () => {
  const dir = tempDir('gantry-tail-');
  const path = join(dir, 'metrics.jsonl');
  writeFileSync(path, '{"step":10,"loss/G":3,"time/elapsed_s":5}\n{"step":20,"loss/G":2,"time/elapsed_s":10}\n{"step":30,"loss/G":1,"time/elapsed_s":15}\n');
  const tail = new MetricsTail(path);
  await tail.update();
  assert.equal(tail.trainingSeconds, 15);
  const generation = tail.generation;
  writeFileSync(join(dir, 'next'), '{"step":10,"loss/G":3,"time/elapsed_s":5}\n{"step":20,"loss/G":2,"time/elapsed_s":10}\n');
  renameSync(join(dir, 'next'), path);
  assert.equal(await tail.update(), true);
  assert.equal(tail.generation, generation + 1);
  assert.deepEqual(tail.series.get('loss/G')!.points().x, [10, 20]);
  appendFileSync(path, '{"step":30,"loss/G":1.5,"time/elapsed_s":4}\n');
  await tail.update();
  assert.equal(tail.trainingSeconds, 14, 'a resumed session restarts elapsed time: 10 s, then 4 s more');
});

test('run states follow from the lock, the last records and the checkpoints', () => {
  const base: StateEvidence = { lock: { kind: 'none' }, totalSteps: 1000, lastStep: 500, lastEvent: null, checkpointStep: 500, targetMet: false };
  assert.equal(deriveState({ ...base, lock: { kind: 'live', pid: 1, startedAt: null } }), 'running');
  assert.equal(deriveState({ ...base, lock: { kind: 'stale', pid: 1, startedAt: null } }), 'crashed');
  assert.equal(deriveState({ ...base, lastEvent: 'diverged' }), 'diverged');
  assert.equal(deriveState({ ...base, lastStep: 1000, checkpointStep: 1000 }), 'finished');
  assert.equal(deriveState({ ...base, targetMet: true }), 'finished');
  assert.equal(deriveState(base), 'stopped');
  assert.equal(deriveState({ ...base, lastStep: 600 }), 'crashed', 'records past the last checkpoint, no lock: an error ended it');
  assert.equal(deriveState({ ...base, lastStep: null, checkpointStep: null }), 'crashed');

  const dir = tempDir('gantry-lock-');
  const lock = join(dir, 'train.lock');
  assert.deepEqual(readLockStatus(lock), { kind: 'none' });
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'x' }));
  assert.equal(readLockStatus(lock).kind, 'live');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 'x' }));
  assert.equal(readLockStatus(lock).kind, 'stale');
  writeFileSync(lock, '{"pid":');
  assert.equal(readLockStatus(lock).kind, 'stale');
});
