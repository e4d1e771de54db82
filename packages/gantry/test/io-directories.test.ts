import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from 'gantry-core/errors.js';
import { makeDirectory } from '../src/io/directories.js';
import { tempDir } from './fixtures.js';

test('makeDirectory creates missing parents and accepts an existing folder', () => {
  const base = tempDir();
  const deep = join(base, 'a', 'b', 'c');
  makeDirectory(deep, 'test folder');
  assert.ok(statSync(deep).isDirectory());
  makeDirectory(deep, 'test folder');
  makeDirectory(base, 'test folder');
});

test('makeDirectory fails at once, in one line, where Node 20 recursive mkdir never returns (/proc)', () => {
  // In this process a hang would stop the test runner itself; the CLI cases run the same paths
  // in child processes with a time limit.
  assert.throws(() => makeDirectory('/proc/forbidden/deeper', 'output folder'), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, 'cannot create output folder /proc/forbidden/deeper (ENOENT: the file system refuses new folders there at /proc/forbidden); choose a writable location');
    return true;
  });
});

test('makeDirectory names the file that stands where a folder should be', () => {
  const base = tempDir();
  writeFileSync(join(base, 'file'), 'x');
  assert.throws(() => makeDirectory(join(base, 'file', 'x', 'y'), 'run directory'), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, `cannot create run directory ${join(base, 'file', 'x', 'y')}: ${join(base, 'file')} is a file, not a folder; choose another location`);
    return true;
  });
});

test('no source file creates folders with a recursive mkdir (it hangs on /proc); makeDirectory does it', () => {
  const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') && entry.name !== 'directories.ts') {
        const text = readFileSync(path, 'utf8');
        if (/\bmkdir(Sync)?\s*\([^;]*recursive\s*:\s*true/.test(text)) offenders.push(path);
      }
    }
  };
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
  }
  assert.deepEqual(offenders, []);
});
