import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset, parseDataSpec } from '../src/data/load.js';
import { assertUsageError, idxBytes, npyBytes, tempDir, TEST_CACHE_DIR } from './dataFixtures.js';

process.env.GANTRY_CACHE_DIR = TEST_CACHE_DIR;

test('parseDataSpec accepts the five forms', () => {
  assert.deepEqual(parseDataSpec('mnist'), { kind: 'mnist' });
  assert.deepEqual(parseDataSpec('fashion-mnist'), { kind: 'fashion-mnist' });
  assert.deepEqual(parseDataSpec('idx:data/train-images.idx3-ubyte'), { kind: 'idx', path: 'data/train-images.idx3-ubyte' });
  assert.deepEqual(parseDataSpec('npy:C:/x.npy'), { kind: 'npy', path: 'C:/x.npy' });
  assert.deepEqual(parseDataSpec('folder:./faces'), { kind: 'folder', path: './faces' });
});

const badSpecs: Array<[string, RegExp]> = [
  ['cifar10', /unknown data spec 'cifar10'; use mnist, fashion-mnist, emoji, emoji:google, emoji:twitter, idx:PATH, npy:PATH or folder:PATH/],
  ['MNIST', /unknown data spec 'MNIST'/],
  ['png:x.png', /unknown data spec 'png:x\.png'/],
  ['', /unknown data spec ''/],
  ['npy:', /data spec 'npy:' has no path; write npy:PATH/],
];
for (const [spec, pattern] of badSpecs) {
  test(`parseDataSpec rejects '${spec}'`, async () => {
    await assertUsageError(async () => parseDataSpec(spec), pattern);
    await assertUsageError(() => loadDataset(spec), pattern);
  });
}

test('a source whose images differ from the model shape is rejected, naming both shapes', async () => {
  const dir = await tempDir();
  const npy = join(dir, 'small.npy');
  await writeFile(npy, npyBytes('|u1', [2, 4, 4], new Uint8Array(32)));
  const idx = join(dir, 'small.idx');
  await writeFile(idx, idxBytes(0x08, [2, 4, 4], new Uint8Array(32)));
  const model = { height: 28, width: 28, channels: 1 };
  for (const spec of [`npy:${npy}`, `idx:${idx}`, 'mnist']) {
    const want = spec === 'mnist' ? { height: 32, width: 32, channels: 3 } : model;
    await assertUsageError(() => loadDataset(spec, { shape: want, limit: 10 }),
      new RegExp(`holds ${spec === 'mnist' ? '28x28x1' : '4x4x1'} images but the model expects ${want.height}x${want.width}x${want.channels}`));
  }
  const same = await loadDataset(`npy:${npy}`, { shape: { height: 4, width: 4, channels: 1 } });
  assert.equal(same.count, 2);
});

test('bad options are rejected', async () => {
  await assertUsageError(() => loadDataset('mnist', { limit: 0 }), /limit must be a positive whole number, got 0/);
  await assertUsageError(() => loadDataset('mnist', { limit: 1.5 }), /limit must be a positive whole number/);
  await assertUsageError(() => loadDataset('mnist', { shape: { height: 28, width: 28, channels: 2 } }), /image shape 28x28x2 is invalid/);
});
