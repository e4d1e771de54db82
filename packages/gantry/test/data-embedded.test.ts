import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { gantryCacheDir, loadEmbedded } from '../src/data/embedded.js';
import { loadDataset } from '../src/data/load.js';
import { tempDir, TEST_CACHE_DIR } from './dataFixtures.js';

process.env.GANTRY_CACHE_DIR = TEST_CACHE_DIR;

function classCounts(set: ImageSet): number[] {
  const counts = new Array<number>(set.numClasses ?? 0).fill(0);
  for (const l of set.labels!) counts[l]!++;
  return counts;
}

function assertUnitRange(pixels: Float32Array): void {
  let min = Infinity, max = -Infinity;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
}

test('mnist: 10,000 28x28x1 digits in [0, 1], all ten labels', async () => {
  const t0 = performance.now();
  const set = await loadDataset('mnist', { shape: { height: 28, width: 28, channels: 1 } });
  const ms = performance.now() - t0;
  assert.deepEqual([set.source, set.count, set.height, set.width, set.channels], ['mnist', 10000, 28, 28, 1]);
  assert.equal(set.pixels01.length, 10000 * 784);
  assertUnitRange(set.pixels01);
  assert.equal(set.numClasses, 10);
  assert.deepEqual(classCounts(set), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // Classes interleave, so a limit keeps them balanced.
  assert.deepEqual(Array.from(set.labels!.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  // About 9% of MNIST pixels are pure white; a scaling mistake would show here.
  const mean = set.pixels01.reduce((a, b) => a + b, 0) / set.pixels01.length;
  assert.ok(mean > 0.1 && mean < 0.15, `mean pixel ${mean}`);
  console.log(`# mnist load: ${ms.toFixed(0)} ms`);
});

test('fashion-mnist: 28x28x1 clothes, 10 classes, balanced under a limit', async () => {
  const t0 = performance.now();
  const set = await loadDataset('fashion-mnist', { limit: 1000 });
  console.log(`# fashion-mnist load (limit 1000): ${(performance.now() - t0).toFixed(0)} ms`);
  assert.deepEqual([set.count, set.height, set.width, set.channels, set.numClasses], [1000, 28, 28, 1, 10]);
  assert.deepEqual(classCounts(set), new Array(10).fill(100));
  assertUnitRange(set.pixels01);
});

test('the cache is written once and read back identically; damaged or stale caches are rebuilt', async () => {
  const dir = await tempDir();
  const cold = await loadEmbedded('mnist', { cacheDir: dir, limit: 50 });
  const files = await readdir(dir);
  assert.deepEqual(files, ['mnist.v1.bin']); // no temp files left
  const cachePath = join(dir, files[0]!);
  const { mtimeMs } = await stat(cachePath);
  const warm = await loadEmbedded('mnist', { cacheDir: dir, limit: 50 });
  assert.deepEqual(warm, cold);
  assert.equal((await stat(cachePath)).mtimeMs, mtimeMs, 'a good cache is not rewritten');

  const good = await readFile(cachePath);
  // Each case rebuilds from the JSON (about a second), so only one per kind of check.
  const damage: Array<[string, (b: Buffer) => Buffer]> = [
    ['a flipped pixel byte', (b) => { const c = Buffer.from(b); c[1000] ^= 0xff; return c; }],
    ['a truncated file', (b) => b.subarray(0, b.length - 100)],
    ['an older format version', (b) => { const c = Buffer.from(b); c.writeUInt32LE(0, 8); return c; }],
  ];
  for (const [what, spoil] of damage) {
    await writeFile(cachePath, spoil(good));
    assert.deepEqual(await loadEmbedded('mnist', { cacheDir: dir, limit: 50 }), cold, what);
    assert.deepEqual(await readFile(cachePath), good, `${what}: cache rebuilt`);
  }
});

test('the cache folder comes from GANTRY_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(gantryCacheDir({ GANTRY_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b', HOME: '/h' }), '/a');
  assert.equal(gantryCacheDir({ XDG_CACHE_HOME: '/b' }), join('/b', 'gantry'));
  assert.match(gantryCacheDir({}), /[/\\]\.cache[/\\]gantry$/);
});
