import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpyFloat32 } from '../src/io/npy.js';
import { tempDir, tinyConvNets, tinyImages } from './fixtures.js';
import { badInputCases, makeBadInputWorkspace, runGantry, type BadInputWorkspace } from './badInputCases.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

function gantry(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: { ...process.env, GANTRY_CACHE_DIR: join(tempDir(), 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = tempDir('gantry-cli-');
const dataPath = join(work, 'tiny.npy');
const configPath = join(work, 'tiny.json');

test('setup: tiny data and a tiny config', async () => {
  const set = tinyImages(24);
  await writeNpyFloat32(dataPath, set.pixels01, [24, 8, 8, 1]);
  writeFileSync(configPath, JSON.stringify({ ...tinyConvNets, data: `npy:${dataPath}`, batchSize: 4, sampleCount: 4 }));
});

test('train, then sample a PNG grid and a .npy array', async () => {
  const out = join(work, 'run');
  const t = gantry(['train', '--config', configPath, '--steps', '5', '--log-every', '2', '--sample-every', '5', '--checkpoint-every', '5', '--out', out, '--backend', 'cpu', '--quiet']);
  assert.equal(t.code, 0, t.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.steps, 5);
  assert.equal(config.batchSize, 4);
  assert.equal(config.seed, 0);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.step), [2, 4, 5]);
  for (const key of ['loss/D', 'loss/G', 'D/real', 'D/fake', 'D/acc_real', 'D/acc_fake', 'perf/images_per_s', 'epoch']) {
    assert.equal(typeof lines[0][key], 'number', key);
  }
  assert.ok(existsSync(join(out, 'samples', 'step-000000005.png')));
  assert.ok(existsSync(join(out, 'checkpoints', 'step-000000005', 'weights.bin')));

  const s = gantry(['sample', '--run', out, '--n', '10', '--out', join(work, 's.npy'), '--backend', 'cpu']);
  assert.equal(s.code, 0, s.stderr);
  const arr = await readNpy(join(work, 's.npy'));
  assert.deepEqual(arr.shape, [10, 8, 8, 1]);
  assert.equal(arr.dtype, 'float32');
  const values = Array.from(arr.data as Float32Array);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.max(...values) - Math.min(...values) > 0.01, 'samples are constant');

  const again = gantry(['sample', '--run', out, '--n', '10', '--out', join(work, 's2.npy'), '--backend', 'cpu']);
  assert.equal(again.code, 0);
  assert.deepEqual(Array.from((await readNpy(join(work, 's2.npy'))).data), values, 'same seed, same samples');
  const png = gantry(['sample', '--run', out, '--n', '9', '--out', join(work, 'grid.png'), '--backend', 'cpu']);
  assert.equal(png.code, 0, png.stderr);
  assert.ok(readFileSync(join(work, 'grid.png')).subarray(1, 4).toString() === 'PNG');

  // resume with a larger total continues the same directory
  const r = gantry(['train', '--out', out, '--resume', '--steps', '7', '--backend', 'cpu', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step, 7);
});


let w: BadInputWorkspace;

test('setup: a finished tiny run to misuse', async () => {
  w = await makeBadInputWorkspace();
});

for (const bad of badInputCases) {
  test(`bad input gives exit code 2 and one line: ${bad.name}`, () => {
    const r = runGantry(bad.args(w), join(w.dir, 'cache'));
    assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('gantry: warning'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], bad.message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('bad data leaves no run directory behind', () => {
  for (const d of ['x6', 'x7', 'x8', 'x9', 'x10', 'x11', 'x12']) assert.equal(existsSync(join(w.dir, d)), false, d);
});

test('a refused run leaves an existing run directory untouched', () => {
  const before = readFileSync(join(w.runDir, 'metrics.jsonl'), 'utf8');
  const ckpt = readFileSync(join(w.runDir, 'checkpoints', 'latest.json'), 'utf8');
  runGantry(['train', '--out', w.runDir, '--steps', '2'], join(w.dir, 'cache'));
  runGantry(['train', '--out', w.runDir, '--resume', '--batch-size', '8'], join(w.dir, 'cache'));
  assert.equal(readFileSync(join(w.runDir, 'metrics.jsonl'), 'utf8'), before);
  assert.equal(readFileSync(join(w.runDir, 'checkpoints', 'latest.json'), 'utf8'), ckpt);
});
