// gantry doctor and the backend choice when the native backend is missing: what is found, the
// one line that says why the fast backend is not used, and the command that brings it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { DoctorReport } from '../src/doctor/checks.js';
import { installCommand, onednnFix } from '../src/doctor/installHints.js';
import { linuxPackageManager, parseOsRelease, tierFromCpuFlags } from '../src/doctor/system.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

function gantry(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('os-release files name their package manager', () => {
  const debian13 = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n');
  assert.equal(debian13.PRETTY_NAME, 'Debian GNU/Linux 13 (trixie)');
  assert.equal(linuxPackageManager(debian13), 'apt');
  assert.equal(linuxPackageManager(parseOsRelease('ID=ubuntu\nID_LIKE=debian\n')), 'apt');
  assert.equal(linuxPackageManager(parseOsRelease('ID=fedora\n')), 'dnf');
  assert.equal(linuxPackageManager(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n')), 'dnf');
  assert.equal(linuxPackageManager(parseOsRelease('ID=arch\n')), 'pacman');
  assert.equal(linuxPackageManager(parseOsRelease('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n')), 'zypper');
  assert.equal(linuxPackageManager(parseOsRelease('ID=nixos\n')), null);
});

test('the CPU tier comes from the cpuinfo flags, and only x86-64 has one', () => {
  const flags = (f: string) => `processor\t: 0\nflags\t\t: fpu sse2 ${f}\n`;
  assert.equal(tierFromCpuFlags(flags('avx avx2 fma avx512f avx512dq avx512bw'), 'x64'), 'avx512');
  assert.equal(tierFromCpuFlags(flags('avx avx2 fma'), 'x64'), 'avx2');
  assert.equal(tierFromCpuFlags(flags('avx avx2'), 'x64'), 'generic'); // AVX2 without FMA
  assert.equal(tierFromCpuFlags(flags('avx512f avx512dq avx2 fma'), 'arm64'), 'generic');
});

test('each system gets its own install command, with sudo only where it is needed', () => {
  assert.equal(installCommand('onednn', { packageManager: 'apt', sudo: true, platform: 'linux' }), 'sudo apt-get install libdnnl-dev');
  assert.equal(installCommand('onednn', { packageManager: 'apt', sudo: false, platform: 'linux' }), 'apt-get install libdnnl-dev');
  assert.equal(installCommand('onednn', { packageManager: 'dnf', sudo: true, platform: 'linux' }), 'sudo dnf install onednn-devel');
  assert.equal(installCommand('onednn', { packageManager: 'brew', sudo: true, platform: 'darwin' }), 'brew install onednn libomp');
  assert.equal(installCommand('onednn', { packageManager: 'conda', sudo: true, platform: 'linux' }), 'conda install -c conda-forge onednn');
  assert.match(installCommand('onednn', { packageManager: null, sudo: true, platform: 'linux' }), /ONEDNN_ROOT/);
  assert.match(installCommand('onednn', { packageManager: null, sudo: false, platform: 'win32' }), /WSL 2/);
  assert.equal(installCommand('redis', { packageManager: 'apt', sudo: true, platform: 'linux' }), 'sudo apt-get install redis-server');
  const debianRoot = { packageManager: 'apt', sudo: false, platform: 'linux' } as const;
  assert.equal(onednnFix(debianRoot, { onednnFound: false }), 'to get it: apt-get install libdnnl-dev, then: npx gantry doctor --build-backend');
  assert.equal(onednnFix(debianRoot, { onednnFound: true }), 'to get it: npx gantry doctor --build-backend');
  assert.equal(onednnFix(debianRoot, { onednnFound: false, packageMissing: true }), 'to get it: apt-get install libdnnl-dev, then: npm install tfjs-backend-onednn');
});

test('gantry doctor lists every part, and names the backend auto takes from what it found', () => {
  const r = gantry(['doctor', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as DoctorReport;
  assert.deepEqual(report.checks.map((c) => c.name), ['Node.js', 'System', 'CPU', 'oneDNN', 'Build tools', 'Native backend', 'tfjs-node', 'WebGPU', 'Chromium', 'Redis']);
  const native = report.checks.find((c) => c.name === 'Native backend')!;
  // auto prefers a WebGPU adapter that is a GPU, then the native backend
  const gpu = report.checks.find((c) => c.name === 'WebGPU')!;
  const onGpu = gpu.state === 'ok' && gpu.detail.includes('a GPU, which --backend auto takes');
  assert.equal(report.autoBackend === 'webgpu', onGpu);
  if (!onGpu) assert.equal(report.autoBackend === 'onednn', native.state === 'ok');
  for (const c of report.checks) if (c.state !== 'ok') assert.ok(c.fix && c.fix.length > 0, `${c.name} is ${c.state} but has no fix`);
  const text = gantry(['doctor']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^\[ok\] Node\.js +v\d+/m);
  assert.match(text.stdout, new RegExp(`--backend auto takes: ${report.autoBackend} `));
});

test('gantry doctor with a missing addon says so, and gives the command that builds it', () => {
  const r = gantry(['doctor', '--json'], { GANTRY_ONEDNN_ADDON: '/nonexistent/build/Release/onednn.node' });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as DoctorReport;
  const native = report.checks.find((c) => c.name === 'Native backend')!;
  assert.equal(native.state, 'missing');
  assert.match(native.detail, /not built \(\/nonexistent\/build\/Release\/onednn\.node is missing/);
  const onednnFound = report.checks.find((c) => c.name === 'oneDNN')!.state === 'ok';
  assert.match(native.fix!, onednnFound ? /^npx gantry doctor --build-backend$/ : /libdnnl-dev|onednn|ONEDNN_ROOT/);
  assert.notEqual(report.autoBackend, 'onednn');
});

test('gantry doctor refuses an unknown flag with exit 2', () => {
  const r = gantry(['doctor', '--fix-everything']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "gantry doctor: unknown option '--fix-everything'; see 'gantry doctor --help'");
});

test('--backend auto without the native backend trains on cpu after one line that says why and how to fix it', () => {
  const out = join(fileURLToPath(new URL('.', import.meta.url)), `doctor-run-${process.pid}`);
  const r = gantry(['train', '--preset', 'seed-mlp', '--steps', '2', '--log-every', '1', '--sample-every', '2', '--checkpoint-every', '2', '--out', out, '--quiet'], { GANTRY_ONEDNN_ADDON: '/nonexistent/onednn.node' });
  spawnSync('rm', ['-rf', out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^gantry: warning: using TF\.js's cpu backend \(about 100 to 500 times slower.*\): the native onednn backend is not available: the native addon is not built .*; to get it: (.*, then: )?npx gantry doctor --build-backend$/);
});

test('--backend onednn without the native backend is exit 2 with that line', () => {
  const r = gantry(['bench', '--preset', 'seed-mlp', '--steps', '1', '--warmup', '0', '--backend', 'onednn'], { GANTRY_ONEDNN_ADDON: '/nonexistent/onednn.node' });
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^gantry bench: --backend onednn: the native onednn backend is not available: the native addon is not built .*; to get it: (.*, then: )?npx gantry doctor --build-backend$/);
});

test('a bad GANTRY_CPU_ISA is named as the reason, with no build advice', () => {
  // refused on start, as every GANTRY_* setting's bad value is (docs/environment.md)
  const r = gantry(['bench', '--preset', 'seed-mlp', '--steps', '1', '--warmup', '0', '--backend', 'onednn'], { GANTRY_CPU_ISA: 'sse9' });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), 'gantry bench: GANTRY_CPU_ISA is "sse9", which is not a CPU tier (avx512, avx2 or generic); unset it for the default (the best tier this CPU has)');
});
