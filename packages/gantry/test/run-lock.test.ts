// The run directory's lock: one trainer per run, even when several processes find the same stale
// lock at the same moment; a lock file that is never seen half-written; and a lock a worker takes
// for the trainer it starts, handed to that trainer and to no other process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunLock, holderActive, readLock } from '../src/runFolder/lock.js';
import { deadPid } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

const lockModule = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'runFolder', 'lock.js')).href;

/**
 * Start `n` processes that all try to lock `dir` at the same instant; each says `won PID` or its
 * error. The winner holds the lock until every process has answered, so a late starter cannot
 * find it released.
 */
async function race(dir: string, n: number): Promise<string[]> {
  const at = Date.now() + 1500;
  const script = `
    const { RunLock } = await import(${JSON.stringify(lockModule)});
    while (Date.now() < ${at}) {}
    try {
      const lock = RunLock.acquire(${JSON.stringify(dir)});
      console.log('won ' + process.pid);
      process.stdin.on('end', () => lock.release()).resume();
    } catch (e) {
      console.log('refused ' + e.message);
      process.exit(0);
    }`;
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const answers = children.map(
    (child) =>
      new Promise<string>((resolve) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.endsWith('\n')) resolve(out.trim());
        });
        child.on('exit', () => resolve(out.trim()));
      }),
  );
  const results = await Promise.all(answers);
  const exits = children.map((child) => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.on('exit', resolve))));
  for (const child of children) child.stdin.end();
  await Promise.all(exits);
  return results;
}

for (const [what, content] of [
  ['a stale lock (its process is gone)', () => JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }) + '\n'],
  ['a lock cut short', () => '{"pid":'],
] as const) {
  test(`six processes that find ${what} at once: exactly one gets the run, the others are told who has it`, async () => {
    for (let round = 0; round < 2; round++) {
      const dir = tempDir('gantry-lock-');
      writeFileSync(join(dir, 'train.lock'), content());
      const results = await race(dir, 6);
      const winners = results.filter((r) => r.startsWith('won '));
      assert.equal(winners.length, 1, results.join('\n'));
      const winner = winners[0]!.slice(4);
      for (const r of results.filter((x) => !x.startsWith('won '))) assert.match(r, new RegExp(`^refused run directory .* is in use by training process ${winner} `), r);
      // the winner released on exit: nothing left behind, no guard, no private files
      assert.deepEqual(readdirSync(dir), []);
    }
  });
}

test('a lock is written whole: its holder, host and start time; released, it is gone', () => {
  const dir = tempDir('gantry-lock-');
  const lock = RunLock.acquire(dir);
  const info = readLock(join(dir, 'train.lock'));
  assert.equal(info?.pid, process.pid);
  assert.equal(info?.host, hostname());
  assert.ok(!Number.isNaN(Date.parse(info!.startedAt)));
  assert.equal(readFileSync(join(dir, 'train.lock'), 'utf8').endsWith('\n'), true);
  assert.deepEqual(readdirSync(dir), ['train.lock'], 'no private file is left beside it');
  assert.throws(() => RunLock.acquire(dir), /is in use by training process/);
  lock.release();
  assert.equal(existsSync(join(dir, 'train.lock')), false);
});

/** Runs f with GANTRY_LOCK_HEARTBEAT_MS set, restoring it after. */
async function withHeartbeat<T>(ms: number, f: () => Promise<T> | T): Promise<T> {
  const before = process.env.GANTRY_LOCK_HEARTBEAT_MS;
  process.env.GANTRY_LOCK_HEARTBEAT_MS = String(ms);
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.GANTRY_LOCK_HEARTBEAT_MS;
    else process.env.GANTRY_LOCK_HEARTBEAT_MS = before;
  }
}

const ageBy = (path: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  utimesSync(path, t, t);
};

test('the holder refreshes its lock every heartbeat; released, it stops', async () => {
  await withHeartbeat(50, async () => {
    const dir = tempDir('gantry-lock-');
    const path = join(dir, 'train.lock');
    const lock = RunLock.acquire(dir);
    ageBy(path, 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(Date.now() - statSync(path).mtimeMs < 250, `refreshed ${Date.now() - statSync(path).mtimeMs} ms ago`);
    lock.release();
    assert.equal(existsSync(path), false);
  });
});

test('a lock from another host: refused while refreshed, taken over once it has not been for six heartbeats', async () => {
  await withHeartbeat(1000, () => {
    const dir = tempDir('gantry-lock-');
    const path = join(dir, 'train.lock');
    const foreign = { pid: 4242, host: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(path, JSON.stringify(foreign) + '\n');
    assert.equal(holderActive(foreign, path), true);
    assert.throws(() => RunLock.acquire(dir), new RegExp(`is in use by process 4242 on host not-${hostname()} \\(lock refreshed 0 s ago\\)`));
    ageBy(path, 5_000);
    assert.equal(holderActive(foreign, path), true, 'five heartbeats old: still held');
    assert.throws(() => RunLock.acquire(dir), /lock refreshed 5 s ago/);
    ageBy(path, 7_000);
    assert.equal(holderActive(foreign, path), false, 'seven heartbeats old: abandoned');
    const lock = RunLock.acquire(dir);
    assert.equal(readLock(path)?.pid, process.pid);
    lock.release();
  });
});

test('a lock of this host is held exactly while its process lives, whatever its age', () => {
  const dir = tempDir('gantry-lock-');
  const path = join(dir, 'train.lock');
  writeFileSync(path, '{}');
  ageBy(path, 3_600_000);
  assert.equal(holderActive({ pid: process.pid, host: hostname(), startedAt: '' }, path), true);
  assert.equal(holderActive({ pid: deadPid(), host: hostname(), startedAt: '' }, path), false);
});

/** A script that tries to lock `dir` once and says `won PID` or `held by PID`; with `hold`, keeps a won lock until stdin ends. */
function tryLockScript(dir: string, hold: boolean): string {
  return `
    const { RunLock } = await import(${JSON.stringify(lockModule)});
    const got = RunLock.tryAcquire(${JSON.stringify(dir)});
    console.log(got instanceof RunLock ? 'won ' + process.pid : 'held by ' + got.holder.pid);
    if (${hold} && got instanceof RunLock) process.stdin.on('end', () => got.release()).resume();`;
}

test('tryAcquire answers who holds a live lock instead of failing', () => {
  const dir = tempDir('gantry-lock-');
  const lock = RunLock.acquire(dir);
  const again = RunLock.tryAcquire(dir);
  assert.ok(!(again instanceof RunLock), 'a held lock was taken twice');
  assert.equal(again.holder.pid, process.pid);
  assert.equal(again.path, join(dir, 'train.lock'));
  lock.release();
  const free = RunLock.tryAcquire(dir);
  assert.ok(free instanceof RunLock);
  free.release();
});

test('a lock taken by a parent is handed to its child when the child locks the run, and to no other process', async () => {
  const dir = tempDir('gantry-lock-');
  const path = join(dir, 'train.lock');
  // the parent (this process, as a queue worker does) locks the run before it starts the trainer
  const claim = RunLock.acquire(dir);
  // the child first starts a process of its own that tries (a grandchild of the lock's holder: refused), then tries itself
  const childScript = `
    const { spawnSync } = await import('node:child_process');
    const grandchild = spawnSync(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(tryLockScript(dir, false))}], { encoding: 'utf8' });
    console.log('grandchild ' + grandchild.stdout.trim());
    ${tryLockScript(dir, true)}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const lines = await new Promise<string[]>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.split('\n').length > 2) resolve(out.trim().split('\n'));
    });
    child.on('exit', () => resolve(out.trim().split('\n')));
  });
  assert.deepEqual(lines, [`grandchild held by ${process.pid}`, `won ${child.pid}`]);
  assert.equal(readLock(path)?.pid, child.pid, 'the lock names the child now');
  assert.equal(claim.ownedHere(), false);
  // another child of the same parent: the run is the first child's now
  const sibling = spawnSync(process.execPath, ['--input-type=module', '-e', tryLockScript(dir, false)], { encoding: 'utf8' });
  assert.equal(sibling.stdout.trim(), `held by ${child.pid}`);
  // the parent's release leaves the child's lock alone; the child's removes it
  claim.release();
  assert.equal(readLock(path)?.pid, child.pid);
  child.stdin.end();
  await exited;
  assert.deepEqual(readdirSync(dir), [], 'no lock, guard or private file is left');
});
