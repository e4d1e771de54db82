import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { imageGrid, writeImageGridPng } from '../src/io/png.js';
import { tempDir } from './dataFixtures.js';

/** The PNG's pixels with the channel count stored in the file (sharp's raw output would expand gray to RGB). */
async function decodePng(path: string) {
  const stored = (await sharp(path).metadata()).channels;
  const image = stored === 1 ? sharp(path).toColourspace('b-w') : sharp(path);
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, stored);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('a grayscale grid puts each image at its row and column, with padding', async () => {
  // 5 images of 2x3, 3 columns, padding 1: 2 rows, width 3*(3+1)+1 = 13, height 2*(2+1)+1 = 7.
  const n = 5, h = 2, w = 3;
  const pixels = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[(i * h + y) * w + x] = (i * 10 + y * 3 + x) / 100;
  }
  const dir = await tempDir();
  const path = join(dir, 'grids', 'g.png');
  await writeImageGridPng(path, pixels, n, h, w, 1, { columns: 3, padding: 1 });
  const png = await decodePng(path);
  assert.equal(png.width, 13);
  assert.equal(png.height, 7);
  assert.equal(png.channels, 1);
  const at = (x: number, y: number) => png.data[y * png.width + x];
  for (let i = 0; i < n; i++) {
    const top = 1 + Math.floor(i / 3) * 3, left = 1 + (i % 3) * 4;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) assert.equal(at(left + x, top + y), Math.round(((i * 10 + y * 3 + x) / 100) * 255), `image ${i} (${x},${y})`);
    }
  }
  assert.equal(at(0, 0), 0); // padding
  assert.equal(at(4, 1), 0); // padding between columns
  assert.equal(at(9, 4), 0); // the empty sixth cell
  assert.deepEqual(await readdir(join(dir, 'grids')), ['g.png']);
});

test('an RGB grid keeps channels apart and clamps values to [0, 1]', async () => {
  // Two 1x1 RGB images side by side without padding.
  const pixels = Float32Array.from([1, 0, 0.5, -3, 7, NaN]);
  const dir = await tempDir();
  const path = join(dir, 'rgb.png');
  await writeImageGridPng(path, pixels, 2, 1, 1, 3, { columns: 2, padding: 0 });
  const png = await decodePng(path);
  assert.deepEqual([png.width, png.height, png.channels], [2, 1, 3]);
  assert.deepEqual(Array.from(png.data), [255, 0, 128, 0, 255, 0]);
});

test('imageGrid defaults to a square-ish layout', () => {
  const grid = imageGrid(new Float32Array(10 * 4 * 4), 10, 4, 4, 1, { padding: 0 });
  assert.equal(grid.width, 4 * 4); // ceil(sqrt(10)) = 4 columns
  assert.equal(grid.height, 3 * 4);
  assert.throws(() => imageGrid(new Float32Array(3), 1, 2, 2, 1), /need 4 values, got 3/);
});
