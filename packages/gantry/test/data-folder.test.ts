import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { loadDataset } from '../src/data/load.js';
import { assertUsageError, tempDir } from './dataFixtures.js';

/** A solid-colour image file (format from the extension). */
async function solidImage(path: string, width: number, height: number, rgb: [number, number, number]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).toFile(path);
}

test('a folder of class subfolders loads resized, grayscale, labelled by subfolder, in sorted order', async () => {
  const dir = await tempDir();
  await solidImage(join(dir, 'dogs', 'b.png'), 20, 10, [255, 255, 255]);
  await solidImage(join(dir, 'cats', 'z.png'), 7, 7, [0, 0, 0]);
  await solidImage(join(dir, 'cats', 'nested', 'a.jpg'), 16, 16, [255, 255, 255]);
  await solidImage(join(dir, 'dogs', 'a.webp'), 9, 30, [0, 0, 0]);
  await writeFile(join(dir, 'cats', 'notes.txt'), 'not an image');

  const set = await loadDataset(`folder:${dir}`, { shape: { height: 8, width: 6, channels: 1 } });
  assert.deepEqual([set.count, set.height, set.width, set.channels], [4, 8, 6, 1]);
  assert.equal(set.pixels01.length, 4 * 8 * 6);
  assert.equal(set.numClasses, 2);
  // Sorted: cats/nested/a.jpg, cats/z.png, dogs/a.webp, dogs/b.png
  assert.deepEqual(set.labels, Int32Array.from([0, 0, 1, 1]));
  const mean = (i: number) => set.pixels01.subarray(i * 48, (i + 1) * 48).reduce((a, b) => a + b, 0) / 48;
  assert.deepEqual([0, 1, 2, 3].map((i) => Math.round(mean(i))), [1, 0, 0, 1]);
});

test('RGB shape gives 3 channels; a flat folder has no labels; limit keeps the first images', async () => {
  const dir = await tempDir();
  await solidImage(join(dir, '1.png'), 5, 5, [255, 0, 0]);
  await solidImage(join(dir, '2.png'), 5, 5, [0, 0, 255]);
  const set = await loadDataset(`folder:${dir}`, { shape: { height: 4, width: 4, channels: 3 } });
  assert.deepEqual([set.count, set.channels, set.labels], [2, 3, undefined]);
  assert.deepEqual(Array.from(set.pixels01.subarray(0, 3)), [1, 0, 0]);
  assert.deepEqual(Array.from(set.pixels01.subarray(48, 51)), [0, 0, 1]);
  const first = await loadDataset(`folder:${dir}`, { shape: { height: 4, width: 4, channels: 3 }, limit: 1 });
  assert.equal(first.count, 1);
  // Without a shape, the first image's size and colour decide.
  const natural = await loadDataset(`folder:${dir}`);
  assert.deepEqual([natural.height, natural.width, natural.channels], [5, 5, 3]);
});

test('folder: rejects a missing folder, a folder without images, and a corrupt image', async () => {
  const dir = await tempDir();
  await assertUsageError(() => loadDataset(`folder:${join(dir, 'missing')}`), /folder:.*missing: folder not found/);

  const empty = join(dir, 'empty');
  await mkdir(join(empty, 'sub'), { recursive: true });
  await writeFile(join(empty, 'readme.txt'), 'nothing here');
  await assertUsageError(() => loadDataset(`folder:${empty}`, { shape: { height: 4, width: 4, channels: 1 } }), /holds no images/);

  const corrupt = join(dir, 'corrupt');
  await solidImage(join(corrupt, 'a', 'good.png'), 4, 4, [9, 9, 9]);
  await mkdir(join(corrupt, 'b'));
  await writeFile(join(corrupt, 'b', 'broken.png'), Buffer.from('definitely not a png, just bytes'));
  await assertUsageError(() => loadDataset(`folder:${corrupt}`, { shape: { height: 4, width: 4, channels: 1 } }),
    /cannot read image b\/broken\.png/);
});
