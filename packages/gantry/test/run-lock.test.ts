// The run directory's lock: one trainer per run, even when several processes find the same stale
// lock at the same moment, and a lock file that is never seen half-written.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunLock, readLock } from '../src/io/runLock.js';
import { deadPid } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

const lockModule = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'io', 'runLock.js')).href;

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
