import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/index.js', import.meta.url));

function runWithAddon(addonPath: string): { status: number | null; stdout: string; stderr: string } {
  const script = `
    const m = await import(${JSON.stringify(entry)});
    console.log(JSON.stringify({ registered: m.registerOnednnBackend(), status: m.onednnStatus() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, GANTRY_ONEDNN_ADDON: addonPath },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('importing with a missing addon does not throw and says how to fix it', () => {
  const r = runWithAddon('/nonexistent/onednn.node');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.registered, false);
  assert.equal(out.status.ok, false);
  assert.match(out.status.reason, /not built \(\/nonexistent\/onednn.node is missing/);
  assert.match(out.status.hint, /apt-get install libdnnl-dev/);
  assert.match(out.status.hint, /build:native/);
});

test('a build that failed at install time is named as the reason, with what the install step recorded', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'onednn-'));
  mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  writeFileSync(path.join(dir, 'build', 'install-status.json'), JSON.stringify({ built: false, reason: 'oneDNN was not found (looked at ONEDNN_ROOT)' }));
  const r = runWithAddon(path.join(dir, 'build', 'Release', 'onednn.node'));
  rmSync(dir, { recursive: true });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.status.ok, false);
  assert.equal(out.status.reason, 'the native addon was not built when the package was installed: oneDNN was not found (looked at ONEDNN_ROOT)');
});

test('importing with a file that is not an addon does not throw', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'onednn-'));
  const fake = path.join(dir, 'onednn.node');
  writeFileSync(fake, 'not a shared library');
  const r = runWithAddon(fake);
  rmSync(dir, { recursive: true });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.registered, false);
  assert.equal(out.status.ok, false);
});
