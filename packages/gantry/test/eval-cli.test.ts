import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { tempDir } from './fixtures.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');
const work = tempDir('gantry-eval-cli-');
const cache = join(work, 'cache');

function gantry(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, GANTRY_CACHE_DIR: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineUsageError(r: ReturnType<typeof gantry>, pattern: RegExp) {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

const realPath = join(work, 'real.npy');

test('setup: 100 held-out MNIST images (ten of each class) as .npy', async () => {
  const data = await loadDataset('mnist');
  await writeNpyFloat32(realPath, data.pixels01.slice(8000 * 784, 8100 * 784), [100, 28, 28, 1]);
});

test('eval --npy --data mnist --json prints one object with every metric and caches the reference', () => {
  const r = gantry(['eval', '--npy', realPath, '--data', 'mnist', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const result = JSON.parse(lines[0]!);
  for (const key of ['fid', 'precision', 'recall']) assert.equal(typeof result[key], 'number', key);
  for (const key of ['kid', 'is']) for (const sub of ['mean', 'std']) assert.equal(typeof result[key][sub], 'number', `${key}.${sub}`);
  assert.equal(typeof result.coverage.classes, 'number');
  assert.equal(typeof result.coverage.kl, 'number');
  assert.equal(result.n, 100);
  assert.equal(result.coverage.classes, 10, 'real digits cover every class');
  // the histogram behind both: one share per class, summing to the whole, each at least 2% here
  assert.equal(result.coverage.share.length, 10);
  assert.ok(Math.abs(result.coverage.share.reduce((a: number, x: number) => a + x, 0) - 1) < 1e-9, JSON.stringify(result.coverage));
  assert.ok(result.coverage.share.every((x: number) => x >= 0.02 && Number.isInteger(x * 100)), JSON.stringify(result.coverage));
  assert.ok(result.precision > 0.7 && result.recall > 0.7, JSON.stringify(result));
  assert.ok(result.is.mean > 5, JSON.stringify(result));
  // 100 samples: KID's subsets take 50 each, so they differ and the spread is real, not float rounding
  assert.ok(result.kid.std > 1e-6, JSON.stringify(result.kid));
  const cached = readdirSync(join(cache, 'eval'));
  assert.ok(cached.some((f) => f.startsWith('mnist-reference-') && f.endsWith('.npy')), cached.join(', '));

  // the table form, from the cache this time
  const t = gantry(['eval', '--npy', realPath, '--data', 'mnist']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /FID/);
  assert.match(t.stdout, /not comparable with Inception/);
});

test('data without a feature network gets pixel-space precision and recall', () => {
  const r = gantry(['eval', '--npy', realPath, '--data', `npy:${realPath}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.featureSpace, 'pixels');
  assert.equal(j.fid, null);
  // the same images on both sides: every sample lies on the real manifold and vice versa
  assert.equal(j.precision, 1);
  assert.equal(j.recall, 1);
  const t = gantry(['eval', '--npy', realPath, '--data', `npy:${realPath}`]);
  assert.match(t.stdout, /no feature network ships for this data/);
});

test('bad input: exit 2 and one line', () => {
  assertOneLineUsageError(gantry(['eval', '--npy', join(work, 'missing.npy'), '--data', 'mnist']), /cannot read .*missing\.npy/);
  assertOneLineUsageError(gantry(['eval', '--npy', realPath, '--data', 'cifar']), /unknown data spec/);
  assertOneLineUsageError(gantry(['eval', '--npy', realPath]), /needs --data/);
  assertOneLineUsageError(gantry(['eval']), /either --run DIR .* or --npy FILE/);
  assertOneLineUsageError(gantry(['eval', '--run', join(work, 'no-run')]), /does not exist/);
  const small = join(work, 'small.npy');
  writeFileSync(small, Buffer.alloc(0));
  assertOneLineUsageError(gantry(['eval', '--npy', small, '--data', 'mnist']), /small\.npy/);
  assert.ok(existsSync(realPath));
});

test('eval --run generates samples from a run on MNIST and scores them', () => {
  const config = join(work, 'mnist-tiny.json');
  writeFileSync(config, JSON.stringify({
    data: 'mnist',
    latentDim: 8,
    generator: {
      input: [8],
      layers: [
        { kind: 'dense', units: 7 * 7 * 4 }, { kind: 'relu' }, { kind: 'reshape', shape: [7, 7, 4] },
        { kind: 'conv2dTranspose', filters: 4, kernel: 4, stride: 2, padding: 'same' }, { kind: 'relu' },
        { kind: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2, padding: 'same' }, { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [28, 28, 1],
      layers: [{ kind: 'conv2d', filters: 4, kernel: 4, stride: 4, padding: 'same' }, { kind: 'leakyRelu', alpha: 0.2 }, { kind: 'flatten' }, { kind: 'dense', units: 1 }],
    },
  }));
  const out = join(work, 'run');
  const t = gantry(['train', '--config', config, '--steps', '2', '--batch-size', '8', '--checkpoint-every', '2', '--sample-every', '2', '--out', out, '--quiet']);
  assert.equal(t.code, 0, t.stderr);
  const r = gantry(['eval', '--run', out, '--n', '50', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.n, 50);
  assert.equal(result.dataset, 'mnist');
  // an untrained generator is far from the data
  assert.ok(result.fid > 10, JSON.stringify(result));
});
