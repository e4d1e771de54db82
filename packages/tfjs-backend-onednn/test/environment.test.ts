// The backend's side of the environment settings (src/environment.ts): GANTRY_THREADS has one
// rule here and in Gantry, a bad value of any setting the backend reads keeps the addon from
// loading with a sentence that names it, and the C++ side's names and defaults
// (native/environment.h) are the table's. Also: native/activation.h's codes are ActivationCode's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { threadsFromEnv } from '../src/addon.js';
import { availableCores, backendSettingNames, readSetting, SETTINGS, SETTING_NAMES, SettingError, type SettingName } from '../src/environment.js';
import { ActivationCode } from '../src/kernels/eltwise_ops.js';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const native = (file: string) => readFileSync(`${packageDir}native/${file}`, 'utf8');

test('GANTRY_THREADS: a whole number of at least 1, else every core this process may use; anything else is refused', () => {
  const cores = availableCores();
  assert.ok(Number.isInteger(cores) && cores >= 1);
  assert.equal(readSetting('GANTRY_THREADS', {}), cores);
  assert.equal(readSetting('GANTRY_THREADS', { GANTRY_THREADS: '' }), cores);
  assert.equal(readSetting('GANTRY_THREADS', { GANTRY_THREADS: '3' }), 3);
  for (const bad of ['abc', '0', '1.5', '-2', ' 2', '2x', '1e2']) {
    assert.throws(() => readSetting('GANTRY_THREADS', { GANTRY_THREADS: bad }), (e: unknown) =>
      e instanceof SettingError && e.setting === 'GANTRY_THREADS' &&
      e.message === `GANTRY_THREADS is ${JSON.stringify(bad)}, which is not a whole number of at least 1; unset it for the default (every core this process may use)`);
  }
  // the addon's own reading is the same rule (Gantry's chooseThreads reads the same setting)
  const saved = process.env.GANTRY_THREADS;
  try {
    delete process.env.GANTRY_THREADS;
    assert.equal(threadsFromEnv(), cores);
    process.env.GANTRY_THREADS = '5';
    assert.equal(threadsFromEnv(), 5);
    process.env.GANTRY_THREADS = 'two';
    assert.throws(() => threadsFromEnv(), SettingError);
  } finally {
    if (saved === undefined) delete process.env.GANTRY_THREADS;
    else process.env.GANTRY_THREADS = saved;
  }
});

test('each kind of setting takes its values and refuses the rest', () => {
  const takes = <N extends SettingName>(name: N, raw: string) => readSetting(name, { [name]: raw });
  assert.equal(takes('GANTRY_WINOGRAD', '0'), false);
  assert.equal(takes('GANTRY_WINOGRAD', '1'), true);
  assert.equal(readSetting('GANTRY_WINOGRAD', {}), true);
  assert.throws(() => takes('GANTRY_WINOGRAD', 'yes'), SettingError);
  assert.equal(takes('GANTRY_CPU_ISA', 'AVX2'), 'avx2');
  assert.throws(() => takes('GANTRY_CPU_ISA', 'sse4'), /GANTRY_CPU_ISA is "sse4", which is not a CPU tier \(avx512, avx2 or generic\)/);
  assert.equal(takes('GANTRY_PARALLEL_MIN_MFLOPS', '2.5'), 2.5);
  for (const bad of ['0', '-1', 'fast', '', ' 3']) {
    if (bad === '') assert.equal(takes('GANTRY_PARALLEL_MIN_MFLOPS', bad), 100);
    else assert.throws(() => takes('GANTRY_PARALLEL_MIN_MFLOPS', bad), SettingError, bad);
  }
  assert.equal(takes('GANTRY_QUEUE_BACKOFF_MS', '0'), 0);
  assert.throws(() => takes('GANTRY_LOCK_HEARTBEAT_MS', '0'), SettingError);
  assert.equal(takes('GANTRY_ONEDNN_PROFILE', 'shapes'), 'shapes');
  assert.equal(readSetting('GANTRY_ONEDNN_ADDON', {}), undefined);
});

/** onednnStatus() in a child process with these variables. */
function statusWith(env: NodeJS.ProcessEnv): { ok: boolean; reason?: string; hint?: string; threads?: number } {
  const script = "import { onednnStatus } from '../src/index.js'; console.log(JSON.stringify(onednnStatus()));";
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)), env: { ...process.env, GANTRY_THREADS: undefined, ...env }, encoding: 'utf8',
  })) as { ok: boolean; reason?: string; hint?: string; threads?: number };
}

test('the addon loads with every core by default and with GANTRY_THREADS when set', () => {
  assert.equal(statusWith({}).threads, availableCores());
  assert.equal(statusWith({ GANTRY_THREADS: '3' }).threads, 3);
});

test("a bad value of a setting the backend reads, its native side's included, keeps the addon from loading and names it", () => {
  const names = backendSettingNames();
  for (const n of ['GANTRY_THREADS', 'GANTRY_CPU_ISA', 'GANTRY_PARALLEL_MIN_MFLOPS', 'GANTRY_WINOGRAD', 'GANTRY_RESAMPLE_CONV'] as const) assert.ok(names.includes(n), n);
  const status = statusWith({ GANTRY_PARALLEL_MIN_MFLOPS: 'fast' });
  assert.equal(status.ok, false);
  assert.equal(status.reason, 'GANTRY_PARALLEL_MIN_MFLOPS is "fast", which is not a number above 0');
  assert.equal(status.hint, 'unset it for the default (100)');
  assert.equal(statusWith({ GANTRY_THREADS: 'all' }).reason, 'GANTRY_THREADS is "all", which is not a whole number of at least 1');
});

test("native/environment.h names the table's native settings, with the table's defaults", () => {
  const header = native('environment.h');
  const declared = new Map<string, string | undefined>();
  for (const m of header.matchAll(/inline constexpr (\w+) k\w+\{"(GANTRY_\w+)"(?:, ([^}]+))?\};/g)) declared.set(m[2]!, m[3]);
  const nativeNames = SETTING_NAMES.filter((n) => SETTINGS[n].readBy.some((f) => f.includes('/native/')));
  assert.deepEqual([...declared.keys()].sort(), [...nativeNames].sort());
  for (const [name, literal] of declared) {
    const fallback = (SETTINGS[name as SettingName] as { fallback(): unknown }).fallback();
    if (literal === undefined) assert.equal(fallback, undefined, `${name} has a default in the table but not in environment.h`);
    else assert.equal(literal === 'true' ? true : literal === 'false' ? false : Number(literal), fallback, name);
  }
  // and every native file reads them through the header
  for (const file of ['runtime.cc', 'conv.cc', 'fewconv.cc', 'tiledconv.cc', 'cpu_tier.cc']) {
    assert.doesNotMatch(native(file), /getenv\("GANTRY_/, file);
    assert.match(native(file), /#include "environment\.h"/, file);
  }
});

test("native/activation.h's activation codes are ActivationCode's", () => {
  const body = /enum ActivationCode \{([^}]*)\}/.exec(native('activation.h'))?.[1];
  assert.ok(body, 'activation.h declares enum ActivationCode');
  const codes = Object.fromEntries([...body.matchAll(/k(\w+) = (\d+)/g)].map((m) => [m[1]!.toLowerCase(), Number(m[2])]));
  assert.deepEqual(codes, { ...ActivationCode });
});
