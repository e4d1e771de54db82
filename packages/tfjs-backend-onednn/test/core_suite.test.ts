import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { onednnStatus } from '../src/index.js';

// tfjs-core's own op tests (about 3,000 specs, shipped in its npm package), run on this
// backend by jasmine from one bundle: core-tests/build.mjs makes it.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

test("tfjs-core's op test suite passes on the onednn backend", (t) => {
  const status = onednnStatus();
  if (!status.ok) {
    t.skip(`onednn backend unavailable: ${status.reason}`);
    return;
  }
  const built = spawnSync(process.execPath, [join(pkg, 'core-tests', 'build.mjs')], { cwd: pkg, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const jasmine = join(dirname(require.resolve('jasmine')), '..', 'bin', 'jasmine.js');
  const run = spawnSync(process.execPath, [jasmine, '--random=false', join(pkg, 'dist', 'core-tests', 'bundle.mjs')], {
    cwd: pkg, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const summary = /(\d+) specs?, (\d+) failures?/.exec(run.stdout);
  assert.ok(summary, `no jasmine summary in its output:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  const specs = Number(summary[1]);
  const failures = Number(summary[2]);
  assert.ok(specs > 2500, `only ${specs} specs ran`);
  assert.equal(failures, 0, run.stdout.slice(-6000));
  assert.equal(run.status, 0);
});
