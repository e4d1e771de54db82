import assert from 'node:assert/strict';
import { appendFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricSeries } from '../src/dashboard/metricSeries.js';
import { MinMaxSeries } from '../src/dashboard/minMaxSeries.js';
import { flatFields, KeyTable, readFlatRecord } from '../src/runFolder/flatRecord.js';
import { readLockStatus } from '../src/runFolder/lock.js';
import { MetricsTail } from '../src/runFolder/metricsTail.js';
import { deriveState, type StateEvidence } from '../src/runFolder/state.js';
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
  assert.equal(s.bytes, 256 * 60, 'memory stays at the capacity');
  const short = new MinMaxSeries(4096);
  for (let i = 0; i < 100; i++) short.push(i, i);
  assert.ok(short.bytes <= 128 * 60, 'a short series stays small');
});

test('MinMaxSeries gives the mean of each merged group, for the smoothed line, and none for exact series', () => {
  const tiny = new MinMaxSeries(4);
  for (let i = 0; i < 8; i++) tiny.push(i, i);
  assert.deepEqual(tiny.points(2), { x: [0, 7], y: [0, 7], mean: [3.5, 3.5] });
  const exact = new MinMaxSeries(16);
  for (let i = 0; i < 10; i++) exact.push(i, i);
  assert.equal(exact.points().mean, undefined);

  // rare spikes: every envelope reaches 10, but the values average about 0.1
  const s = new MinMaxSeries(256);
  for (let i = 0; i < 100_000; i++) s.push(i, i % 100 === 0 ? 10 : 0);
  const p = s.points(200);
  assert.equal(p.mean?.length, p.x.length);
  assert.equal(Math.max(...p.y), 10);
  for (const m of p.mean!) assert.ok(m > 0.08 && m < 0.12, `group mean ${m}`);
});

/** The fast line reader's view of a line, or null when it refuses it. */
function fast(line: string, keys = new KeyTable()): Record<string, number> | null {
  const bytes = Buffer.from(line);
  const f = flatFields();
  if (!readFlatRecord(bytes, 0, bytes.length, keys, f)) return null;
  return Object.fromEntries(f.keys.slice(0, f.count).map((k, i) => [k, f.values[i]]));
}

/** JSON.parse's view, numbers only: what the fast reader must agree with. */
function reference(line: string): Record<string, number> {
  return Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

test('the fast line reader agrees with JSON.parse on every number format, and refuses what it cannot read', () => {
  const keys = new KeyTable();
  const values = [0, -0, 1, -1, 7, 42, 1234567, 0.5, -0.25, 1e-7, 3.0000000000000004, 0.1 + 0.2, 123456.789, 1e21, 5e-324, 1.7976931348623157e308, -2.5e-12, 9007199254740993, 0.06912003457546234, 4.776510715484619];
  const rng = (() => {
    let x = 12345;
    return () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
  })();
  for (let i = 0; i < 2000; i++) values.push((rng() - 0.5) * Math.pow(10, Math.floor(rng() * 40) - 20));
  for (const v of values) {
    const line = JSON.stringify({ step: 3, 'loss/D': v, 'perf/tensors': 24, 'perf/images_per_s': null });
    const got = fast(line, keys);
    const want = reference(line);
    assert.ok(got, line);
    assert.deepEqual(Object.keys(got), Object.keys(want));
    const rel = Math.abs(got['loss/D'] - want['loss/D']) / Math.max(Math.abs(want['loss/D']), Number.MIN_VALUE);
    assert.ok(rel <= 4e-16 || got['loss/D'] === want['loss/D'], `${line}: ${got['loss/D']} vs ${want['loss/D']}`);
    assert.equal(got.step, 3);
  }
  // spacing, literals, hand-written numbers
  for (const line of ['{}', ' { "step" : 1 , "a" : -1.5E+3 , "b":true,"c":false ,"d":null } ', '{"step":1,"a":0.0,"b":1e0,"c":-0e-0}', '{"step":1,"ключ":2}']) {
    assert.deepEqual(fast(line, keys), reference(line), line);
  }
  // refused: strings, nesting, escapes, bad numbers, a line cut anywhere; JSON.parse takes the first three kinds over
  const refused = ['{"step":1,"event":"diverged"}', '{"step":1,"a":[1]}', '{"step":1,"a":{"b":1}}', '{"st\\u0065p":1}', '{"step":01}', '{"step":1.}', '{"step":.5}', '{"step":-}', '{"step":1e}', '{"step":NaN}', '{"step":1,}', '{"step":1}}', '{"step" 1}', '[1]', ''];
  for (const line of refused) assert.equal(fast(line, keys), null, line);
  const whole = JSON.stringify({ step: 100, 'loss/D': 0.123456789, 'loss/G': 2.5, 'D/real': 0.6 });
  for (let cut = 0; cut < whole.length; cut++) assert.equal(fast(whole.slice(0, cut), keys), null, whole.slice(0, cut));
});

test('MetricsTail reads only appended bytes, waits for a line to be complete, counts torn lines', async () => {
  const dir = tempDir('gantry-tail-');
  const path = join(dir, 'metrics.jsonl');
  const series = new MetricSeries(64);
  const tail = new MetricsTail(path, series);
  assert.equal(await tail.update(), false, 'no file yet: nothing to read');
  writeFileSync(path, '{"step":1,"loss/D":1.5}\n{"step":2,"loss/D":1.25}\n');
  assert.equal(await tail.update(), true);
  assert.equal(tail.lines, 2);
  assert.deepEqual(series.byKey.get('loss/D')!.points().y, [1.5, 1.25]);
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
  const before = series.byKey.get('loss/D')!.points().y;
  writeFileSync(path, '{"step":1,"loss/D":9.5}\n{"step":2,"loss/D":9.25}\n{"step":3,"loss/D":1.0,"eval/fid":42}\n');
  await tail.update();
  assert.deepEqual(series.byKey.get('loss/D')!.points().y, before);
  // a line torn by a crash, then the resumed run's lines after it
  appendFileSync(path, '{"step":4,"loss/D":0.\n{"step":5,"loss/D":0.5,"time/elapsed_s":1}\n{"step":6,"event":"diverged","detail":"L_D = NaN"}\n');
  await tail.update();
  assert.equal(tail.badLines, 1);
  assert.equal(tail.lines, 6);
  assert.equal(tail.lastStep, 5);
  assert.deepEqual(tail.events, [{ step: 6, event: 'diverged', detail: 'L_D = NaN' }]);
  assert.equal(tail.lastEvent, 'diverged');
});

test('MetricsTail starts over when the file is replaced (a resume rewrites it) and sums training time over sessions', async () => {
  const dir = tempDir('gantry-tail-');
  const path = join(dir, 'metrics.jsonl');
  writeFileSync(path, '{"step":10,"loss/G":3,"time/elapsed_s":5}\n{"step":20,"loss/G":2,"time/elapsed_s":10}\n{"step":30,"loss/G":1,"time/elapsed_s":15}\n');
  const series = new MetricSeries();
  const tail = new MetricsTail(path, series);
  await tail.update();
  assert.equal(tail.trainingSeconds, 15);
  const generation = tail.generation;
  writeFileSync(join(dir, 'next'), '{"step":10,"loss/G":3,"time/elapsed_s":5}\n{"step":20,"loss/G":2,"time/elapsed_s":10}\n');
  renameSync(join(dir, 'next'), path);
  assert.equal(await tail.update(), true);
  assert.equal(tail.generation, generation + 1);
  assert.deepEqual(series.byKey.get('loss/G')!.points().x, [10, 20]);
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
  // another machine's trainer: live while it refreshes the lock (every 10 s), stale after a minute without
  writeFileSync(lock, JSON.stringify({ pid: 4242, host: `not-${hostname()}`, startedAt: 'x' }));
  assert.equal(readLockStatus(lock).kind, 'live');
  const old = new Date(Date.now() - 61_000);
  utimesSync(lock, old, old);
  assert.equal(readLockStatus(lock).kind, 'stale');
});
