// scripts/install.mjs, npm's install step: it never fails the install (unless asked to), and it
// records why the addon was not built where the backend's load error can read it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const scripts = fileURLToPath(new URL('../../scripts/', import.meta.url));

/** Runs a copy of the install script in a scratch package folder, so the real build/ is untouched. */
function runInstall(env: NodeJS.ProcessEnv): { status: number | null; stderr: string; installStatus: Record<string, unknown> | null } {
  const dir = mkdtempSync(path.join(tmpdir(), 'onednn-install-'));
  try {
    mkdirSync(path.join(dir, 'scripts'));
    for (const f of ['install.mjs', 'find-onednn.mjs']) copyFileSync(path.join(scripts, f), path.join(dir, 'scripts', f));
    const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.mjs')], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    const file = path.join(dir, 'build', 'install-status.json');
    return { status: r.status, stderr: r.stderr, installStatus: existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without oneDNN the install succeeds, says so in one line and records why', () => {
  const r = runInstall({ ONEDNN_ROOT: '/nonexistent/onednn', GANTRY_REQUIRE_NATIVE: '' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.installStatus?.built, false);
  assert.match(String(r.installStatus?.reason), /^ONEDNN_ROOT is \/nonexistent\/onednn, but .*dnnl\.hpp .* not found/);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /not built .* cpu backend.* gantry doctor/);
});

test('GANTRY_REQUIRE_NATIVE=1 makes a missing oneDNN fail the install', () => {
  const r = runInstall({ ONEDNN_ROOT: '/nonexistent/onednn', GANTRY_REQUIRE_NATIVE: '1' });
  assert.equal(r.status, 1);
  assert.equal(r.installStatus?.built, false);
});

test('GANTRY_SKIP_NATIVE_BUILD=1 skips the build and records that it did', () => {
  const r = runInstall({ GANTRY_SKIP_NATIVE_BUILD: '1', GANTRY_REQUIRE_NATIVE: '' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual({ built: r.installStatus?.built, reason: r.installStatus?.reason }, { built: false, reason: 'the build was skipped (GANTRY_SKIP_NATIVE_BUILD=1)' });
});

test('find-onednn reports the oneDNN it found with a version, or an error naming what it searched', () => {
  const r = spawnSync(process.execPath, [path.join(scripts, 'find-onednn.mjs'), 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const found = JSON.parse(r.stdout) as { version?: string; error?: string; libs?: string[] };
  if (found.error) {
    assert.match(found.error, /oneDNN was not found \(searched ONEDNN_ROOT, pkg-config, /);
  } else {
    assert.match(String(found.version), /^[23]\.\d+\.\d+$/);
    assert.ok(found.libs?.includes('-ldnnl'), JSON.stringify(found));
  }
  const bad = spawnSync(process.execPath, [path.join(scripts, 'find-onednn.mjs'), 'libs'], { encoding: 'utf8', env: { ...process.env, ONEDNN_ROOT: '/nonexistent' } });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /ONEDNN_ROOT is \/nonexistent/);
});
