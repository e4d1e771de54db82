import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../src/data/load.js';
import { assertUsageError, idxBytes, tempDir } from './dataFixtures.js';

const UBYTE = 0x08;
// Three 2x3 images with distinct bytes.
const pixels = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => (i * 14) % 256);

for (const gzip of [false, true]) {
  test(`an IDX images file (${gzip ? 'gzipped' : 'plain'}) loads byte for byte, with its sibling labels`, async () => {
    const dir = await tempDir();
    const pack = (b: Buffer) => (gzip ? gzipSync(b) : b);
    const suffix = gzip ? '.gz' : '';
    const images = join(dir, `train-images-idx3-ubyte${suffix}`);
    await writeFile(images, pack(idxBytes(UBYTE, [3, 2, 3], pixels)));
    await writeFile(join(dir, `train-labels-idx1-ubyte${suffix}`), pack(idxBytes(UBYTE, [3], Uint8Array.from([2, 0, 1]))));
    const set = await loadDataset(`idx:${images}`);
    assert.deepEqual([set.count, set.height, set.width, set.channels], [3, 2, 3, 1]);
    assert.deepEqual(set.pixels01, Float32Array.from(pixels, (b) => b / 255));
    assert.deepEqual(set.labels, Int32Array.from([2, 0, 1]));
    assert.equal(set.numClasses, 3);
    assert.equal(set.source, `idx:${images}`);

    const two = await loadDataset(`idx:${images}`, { limit: 2 });
    assert.equal(two.count, 2);
    assert.deepEqual(two.pixels01, set.pixels01.subarray(0, 12));
    assert.deepEqual(two.labels, Int32Array.from([2, 0]));
  });
}

test('an IDX file without a labels sibling loads without labels', async () => {
  const dir = await tempDir();
  const path = join(dir, 'faces.idx');
  await writeFile(path, idxBytes(UBYTE, [3, 2, 3], pixels));
  const set = await loadDataset(`idx:${path}`, { shape: { height: 2, width: 3, channels: 1 } });
  assert.equal(set.labels, undefined);
  assert.equal(set.count, 3);
});

const good = idxBytes(UBYTE, [3, 2, 3], pixels);
const broken: Array<[string, Uint8Array, RegExp]> = [
  ['truncated data', good.subarray(0, good.length - 5), /truncated: dimensions \[3, 2, 3\] need 18 data bytes but it has 13/],
  ['truncated header', good.subarray(0, 9), /truncated inside its header/],
  ['extra bytes', Buffer.concat([good, Buffer.alloc(4)]), /4 bytes beyond its dimensions/],
  ['wrong magic', Buffer.concat([Buffer.from([0x12, 0x34, 0x08, 0x03]), good.subarray(4)]), /not an IDX file \(magic 0x12340803/],
  ['unknown element type', idxBytes(0x42, [1, 1, 1], Uint8Array.of(0)), /unknown IDX element type 0x42/],
  ['float elements', idxBytes(0x0d, [1, 1, 1], new Uint8Array(4)), /float32 elements; only unsigned-byte/],
  ['a labels file', idxBytes(UBYTE, [3], Uint8Array.of(1, 2, 3)), /is a labels file/],
  ['zero images', idxBytes(UBYTE, [0, 28, 28], new Uint8Array(0)), /zero images/],
  ['two dimensions', idxBytes(UBYTE, [2, 2], new Uint8Array(4)), /2 dimensions; expected images \[n, rows, cols\]/],
  ['damaged gzip', gzipSync(good).subarray(0, 20), /damaged gzip file/],
];
for (const [name, bytes, pattern] of broken) {
  test(`idx: rejects ${name}`, async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad.idx');
    await writeFile(path, bytes);
    await assertUsageError(() => loadDataset(`idx:${path}`), /idx:.*bad\.idx/, pattern);
  });
}

test('idx: a labels sibling with another count is rejected', async () => {
  const dir = await tempDir();
  const images = join(dir, 'x-images-idx3-ubyte');
  await writeFile(images, good);
  await writeFile(join(dir, 'x-labels-idx1-ubyte'), idxBytes(UBYTE, [2], Uint8Array.of(0, 1)));
  await assertUsageError(() => loadDataset(`idx:${images}`), /holds 2 labels but .* holds 3 images/);
});

test('idx: a missing file is named', async () => {
  await assertUsageError(() => loadDataset('idx:/nonexistent/images.idx'), /cannot read idx:\/nonexistent\/images\.idx: ENOENT/);
});
