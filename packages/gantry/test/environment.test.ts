// The environment settings' table (tfjs-backend-onednn/environment): every GANTRY_* name in the
// sources is in it, nothing reads one around it, docs/environment.md is generated from it, and
// the CLI refuses a bad value before a command starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SETTINGS, SETTING_NAMES, type SettingName } from 'tfjs-backend-onednn/environment';

import { environmentDoc } from '../scripts/environment-doc.js';
import { tempDir } from './fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const bin = join(root, 'packages', 'gantry', 'bin', 'gantry.js');
const work = tempDir('gantry-environment-');
after(() => rmSync(work, { recursive: true, force: true }));

const sourceExtensions = new Set(['.ts', '.js', '.mjs', '.cjs', '.cc', '.h', '.sh', '.gyp', '.py']);
const skipped = new Set(['node_modules', 'dist', 'build', '.git', 'docs']);

/** Every source file of the repository (both packages, the web package, benches, scripts, CI), from the root. */
function sourceFiles(dir = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.isFile() && (sourceExtensions.has(extname(entry.name)) || relative(root, dir) === '.ci')) files.push(relative(root, path));
  }
  return files;
}

/** The GANTRY_* names in each text that are not C preprocessor macros (a `#define` of one in any of the texts). */
function settingNamesIn(texts: Map<string, string>): Map<string, string[]> {
  const macros = new Set<string>();
  for (const text of texts.values()) for (const m of text.matchAll(/#\s*define\s+(GANTRY_[A-Z0-9_]+)/g)) macros.add(m[1]!);
  const found = new Map<string, string[]>();
  for (const [file, text] of texts) {
    for (const m of text.matchAll(/\bGANTRY_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (macros.has(m[0])) continue;
      const where = found.get(m[0]) ?? [];
      if (!where.includes(file)) where.push(file);
      found.set(m[0], where);
    }
  }
  return found;
}

const sources = new Map(sourceFiles().map((f) => [f, readFileSync(join(root, f), 'utf8')]));

test('the source scan sees both packages, TypeScript and C++, the scripts and CI', () => {
  for (const f of ['packages/gantry/src/backend.ts', 'packages/tfjs-backend-onednn/src/addon.ts', 'packages/tfjs-backend-onednn/native/conv.cc',
    'packages/tfjs-backend-onednn/native/environment.h', 'packages/tfjs-backend-onednn/scripts/install.mjs', 'packages/web/build.mjs',
    'scripts/systems/root.sh', 'bench/compare.js', '.ci/run']) {
    assert.ok(sources.has(f), `${f} is not scanned`);
  }
  const names = settingNamesIn(sources);
  assert.ok(names.get('GANTRY_WINOGRAD')?.includes('packages/tfjs-backend-onednn/native/environment.h'));
  assert.ok(names.get('GANTRY_ROOTS')?.includes('scripts/systems/root.sh'));
  assert.equal(names.has('GANTRY_VECTOR_CLONES'), false, 'a #define is a macro, not a setting');
  // and it finds a name that is not in the table
  const unknown = `GANTRY_${'NOT_IN_THE_TABLE'}`;
  const withUnknown = settingNamesIn(new Map([...sources, ['x.cc', `std::getenv("${unknown}")`]]));
  assert.deepEqual(withUnknown.get(unknown), ['x.cc']);
});

test('every GANTRY_* name in the sources is in the table of environment settings', () => {
  const table = new Set<string>(SETTING_NAMES);
  const missing = [...settingNamesIn(sources)].filter(([name]) => !table.has(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
  assert.deepEqual(missing, [], 'add these to packages/tfjs-backend-onednn/src/environment.ts, then regenerate docs/environment.md');
});

test("each row of the table names the files that read its variable, and each of them names it", () => {
  for (const name of SETTING_NAMES) {
    const s = SETTINGS[name];
    assert.ok(s.readBy.length > 0, name);
    for (const file of s.readBy) {
      assert.ok(existsSync(join(root, file)), `${name}: ${file} does not exist`);
      assert.ok(readFileSync(join(root, file), 'utf8').includes(name), `${name}: ${file} does not name it`);
    }
  }
});

test('nothing reads a GANTRY_* variable around the table: TypeScript through environment.ts, C++ through environment.h', () => {
  const around: string[] = [];
  for (const [file, text] of sources) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const at = `${file}:${i + 1}`;
      if (/^packages\/[^/]+\/src\//.test(file) && file !== 'packages/tfjs-backend-onednn/src/environment.ts') {
        if (/process\.env(\.GANTRY_|\[)|\benv\.GANTRY_|\benv\[['"`]GANTRY_/.test(line)) around.push(at);
      }
      if (/\.(cc|h)$/.test(file) && file !== 'packages/tfjs-backend-onednn/native/environment.h' && /getenv\("GANTRY_/.test(line)) around.push(at);
    });
  }
  assert.deepEqual(around, []);
});

test('docs/environment.md is generated from the table and up to date', () => {
  const doc = readFileSync(join(root, 'docs', 'environment.md'), 'utf8');
  assert.equal(doc, `${environmentDoc()}\n`, 'regenerate it: npm run build:ts && node packages/gantry/dist/scripts/environment-doc.js > docs/environment.md');
  for (const name of SETTING_NAMES) assert.ok(doc.includes(`| \`${name}\` |`), name);
});

function gantry(args: string[], env: Partial<Record<SettingName, string>>) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, GANTRY_CACHE_DIR: join(work, 'cache'), ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a bad value is exit 2 with one line before the command starts, and nothing is written', () => {
  const out = join(work, 'run');
  const cases: { args: string[]; env: Partial<Record<SettingName, string>>; line: string }[] = [
    {
      args: ['train', '--preset', 'seed-mlp', '--steps', '1', '--out', out, '--backend', 'cpu'],
      env: { GANTRY_THREADS: 'abc' },
      line: 'gantry train: GANTRY_THREADS is "abc", which is not a whole number of at least 1; unset it for the default (every core this process may use)',
    },
    {
      // read by the native side only, and still checked (here, for a command that would load it)
      args: ['bench', '--preset', 'seed-mlp', '--steps', '1', '--warmup', '0'],
      env: { GANTRY_WINOGRAD: 'off' },
      line: 'gantry bench: GANTRY_WINOGRAD is "off", which is not 0 or 1; unset it for the default (1)',
    },
    {
      args: ['worker', '--redis', 'redis://127.0.0.1:1'],
      env: { GANTRY_QUEUE_LOCK_MS: '30s' },
      line: 'gantry worker: GANTRY_QUEUE_LOCK_MS is "30s", which is not a whole number of at least 1; unset it for the default (30000)',
    },
    {
      args: ['train', '--preset', 'seed-mlp', '--steps', '1', '--out', out, '--backend', 'cpu'],
      env: { GANTRY_CPU_ISA: 'sse9', GANTRY_THREADS: '2' },
      line: 'gantry train: GANTRY_CPU_ISA is "sse9", which is not a CPU tier (avx512, avx2 or generic); unset it for the default (the best tier this CPU has)',
    },
  ];
  for (const c of cases) {
    const r = gantry(c.args, c.env);
    assert.equal(r.code, 2, `${JSON.stringify(c.env)}: ${r.stderr}`);
    assert.equal(r.stderr, `${c.line}\n`);
    assert.equal(r.stdout, '');
  }
  assert.equal(existsSync(out), false, 'the run directory was not made');
});

test('good values pass the check, an empty one counts as unset, and --help is answered whatever the settings', () => {
  // the command then fails for its own reason, which shows the settings were let through
  const r = gantry(['sample', '--run', join(work, 'no-such-run')], { GANTRY_THREADS: '1', GANTRY_WINOGRAD: '0', GANTRY_CPU_ISA: 'AVX2', GANTRY_DEBUG: '' });
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /GANTRY_/);
  assert.match(r.stderr, /no-such-run/);
  const help = gantry(['train', '--help'], { GANTRY_THREADS: 'abc' });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^gantry train/);
});
