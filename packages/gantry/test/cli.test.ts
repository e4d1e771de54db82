import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpyFloat32 } from '../src/io/npy.js';
import { tempDir, tinyConvNets, tinyImages } from './fixtures.js';

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

const badInputs: { name: string; args: () => string[]; message: RegExp }[] = [
  { name: 'unknown command', args: () => ['fly'], message: /unknown command 'fly'/ },
  { name: 'unknown flag', args: () => ['train', '--stpes', '3'], message: /Unknown option '--stpes'/ },
  { name: 'non-numeric steps', args: () => ['train', '--steps', 'ten'], message: /--steps must be an integer/ },
  { name: 'zero batch size', args: () => ['train', '--batch-size', '0'], message: /--batch-size must be an integer from 1/ },
  { name: 'steps and epochs together', args: () => ['train', '--steps', '3', '--epochs', '1'], message: /either --steps or --epochs/ },
  { name: 'unknown preset', args: () => ['train', '--preset', 'nope', '--out', join(work, 'x1')], message: /unknown preset 'nope'/ },
  { name: 'unknown backend', args: () => ['train', '--backend', 'gpu'], message: /--backend must be one of/ },
  { name: 'missing config file', args: () => ['train', '--config', join(work, 'none.json')], message: /no such file/ },
  { name: 'config file not JSON', args: () => { writeFileSync(join(work, 'bad.json'), '{oops'); return ['train', '--config', join(work, 'bad.json')]; }, message: /not valid JSON/ },
  { name: 'unknown config key', args: () => { writeFileSync(join(work, 'k.json'), '{"batchSzie": 3}'); return ['train', '--config', join(work, 'k.json'), '--out', join(work, 'x2')]; }, message: /unknown key 'batchSzie'/ },
  { name: 'negative learning rate in config', args: () => { writeFileSync(join(work, 'lr.json'), JSON.stringify({ optimizerD: { kind: 'adam', learningRate: -1, beta1: 0.5, beta2: 0.9, epsilon: 1e-7 } })); return ['train', '--config', join(work, 'lr.json'), '--out', join(work, 'x3')]; }, message: /learningRate must be a number/ },
  { name: 'existing run directory without --resume', args: () => ['train', '--out', join(work, 'run'), '--steps', '2'], message: /already exists.*--resume/ },
  { name: '--resume without --out', args: () => ['train', '--resume'], message: /--resume needs --out/ },
  { name: '--resume of a directory that is no run', args: () => { mkdirSync(join(work, 'empty'), { recursive: true }); return ['train', '--resume', '--out', join(work, 'empty')]; }, message: /cannot resume/ },
  { name: 'unknown data spec', args: () => ['train', '--data', 'web:cats', '--out', join(work, 'x4'), '--backend', 'cpu'], message: /unknown data spec/ },
  { name: 'data shape that does not fit the model', args: () => ['train', '--config', configPath, '--data', 'mnist', '--out', join(work, 'x5'), '--backend', 'cpu'], message: /28x28x1.*8x8x1|expects 8x8x1/ },
  { name: 'truncated idx file', args: () => {
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 8]);
    writeFileSync(join(work, 'short.idx'), Buffer.concat([header, Buffer.alloc(100)]));
    return ['train', '--config', configPath, '--data', `idx:${join(work, 'short.idx')}`, '--out', join(work, 'x6'), '--backend', 'cpu'];
  }, message: /short\.idx/ },
  { name: 'idx file with a wrong magic number', args: () => {
    writeFileSync(join(work, 'magic.idx'), Buffer.from([1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, ...new Array(64).fill(0)]));
    return ['train', '--config', configPath, '--data', `idx:${join(work, 'magic.idx')}`, '--out', join(work, 'x7'), '--backend', 'cpu'];
  }, message: /magic/ },
  { name: 'npy file holding NaN', args: () => {
    const x = new Float32Array(24 * 64).fill(0.5);
    x[17] = NaN;
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 8, 8, 1), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const pre = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, padded.length & 255, padded.length >> 8]), Buffer.from(padded)]);
    writeFileSync(join(work, 'nan.npy'), Buffer.concat([pre, Buffer.from(x.buffer)]));
    return ['train', '--config', configPath, '--data', `npy:${join(work, 'nan.npy')}`, '--out', join(work, 'x8'), '--backend', 'cpu'];
  }, message: /NaN/ },
  { name: 'empty image folder', args: () => {
    mkdirSync(join(work, 'nofiles'), { recursive: true });
    return ['train', '--config', configPath, '--data', `folder:${join(work, 'nofiles')}`, '--out', join(work, 'x9'), '--backend', 'cpu'];
  }, message: /no (PNG|images|image)/i },
  { name: 'unreadable image in a folder', args: () => {
    mkdirSync(join(work, 'corrupt'), { recursive: true });
    writeFileSync(join(work, 'corrupt', 'a.png'), 'not a png at all');
    return ['train', '--config', configPath, '--data', `folder:${join(work, 'corrupt')}`, '--out', join(work, 'x10'), '--backend', 'cpu'];
  }, message: /a\.png/ },
  { name: 'sample without --run', args: () => ['sample'], message: /needs --run/ },
  { name: 'sample of a missing run', args: () => ['sample', '--run', join(work, 'missing')], message: /does not exist/ },
  { name: 'sample to an unknown format', args: () => ['sample', '--run', join(work, 'run'), '--out', join(work, 'x.jpg')], message: /must end in .png.*or .npy/ },
  { name: 'sample of a run without checkpoints', args: () => ['sample', '--run', join(work, 'empty'), '--backend', 'cpu'], message: /no complete checkpoint/ },
];

for (const bad of badInputs) {
  test(`bad input gives exit code 2 and one line: ${bad.name}`, () => {
    const r = gantry(bad.args());
    assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('gantry: warning'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], bad.message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('bad data leaves no run directory behind', () => {
  for (const d of ['x6', 'x7', 'x8', 'x9', 'x10']) assert.equal(existsSync(join(work, d)), false, d);
});

test('a refused run leaves an existing run directory untouched', () => {
  const before = readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8');
  gantry(['train', '--out', join(work, 'run'), '--steps', '2']);
  assert.equal(readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8'), before);
});
