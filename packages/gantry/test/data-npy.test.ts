import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../src/data/load.js';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { assertUsageError, float32Bytes, float64Bytes, npyBytes, tempDir } from './dataFixtures.js';

test('a float32 [N, H, W, C] npy written by writeNpyFloat32 loads as the same images', async () => {
  const dir = await tempDir();
  const data = Float32Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => i / 35);
  const path = join(dir, 'rgb.npy');
  await writeNpyFloat32(path, data, [2, 3, 2, 3]);
  const set = await loadDataset(`npy:${path}`);
  assert.deepEqual([set.count, set.height, set.width, set.channels], [2, 3, 2, 3]);
  assert.deepEqual(set.pixels01, data);
  assert.equal(set.labels, undefined);
  const one = await loadDataset(`npy:${path}`, { limit: 1 });
  assert.deepEqual(one.pixels01, data.subarray(0, 18));
});

test('uint8 [N, H, W] npy is scaled by 1/255 with one channel; float64 is narrowed', async () => {
  const dir = await tempDir();
  const u8 = join(dir, 'u8.npy');
  await writeFile(u8, npyBytes('|u1', [2, 1, 2], Uint8Array.of(0, 51, 204, 255)));
  const a = await loadDataset(`npy:${u8}`);
  assert.deepEqual([a.count, a.height, a.width, a.channels], [2, 1, 2, 1]);
  assert.deepEqual(a.pixels01, Float32Array.of(0, 0.2, 0.8, 1));
  const f64 = join(dir, 'f64.npy');
  await writeFile(f64, npyBytes('<f8', [1, 2, 1], float64Bytes([0.125, 1]), { version: 2 }));
  assert.deepEqual((await loadDataset(`npy:${f64}`)).pixels01, Float32Array.of(0.125, 1));
});

const ok4 = float32Bytes([0, 0.5, 1, 0.25]);
const broken: Array<[string, Uint8Array, RegExp]> = [
  ['wrong rank', npyBytes('<f4', [4], ok4), /shape \(4\); expected images \[N, H, W\] or \[N, H, W, C\]/],
  ['two channels', npyBytes('<f4', [1, 1, 2, 2], ok4), /with 2 channels; expected C = 1/],
  ['channels first', npyBytes('<f4', [1, 4, 1, 1, 1], ok4), /shape \(1, 4, 1, 1, 1\)/],
  ['no images', npyBytes('<f4', [0, 28, 28], new Uint8Array(0)), /is empty \(shape \(0, 28, 28\)\)/],
  ['NaN', npyBytes('<f4', [1, 2, 2], float32Bytes([0, 0.5, NaN, 1])), /contains NaN \(first at flat index 2\)/],
  ['Infinity', npyBytes('<f8', [1, 2, 2], float64Bytes([0, -Infinity, 1, 1])), /contains -Infinity/],
  ['values above 1', npyBytes('<f4', [1, 2, 2], float32Bytes([0, 255, 1, 1])), /value 255 at flat index 1, outside \[0, 1\]/],
  ['negative values', npyBytes('<f4', [1, 2, 2], float32Bytes([0, 0, -1, 1])), /value -1 at flat index 2, outside \[0, 1\]/],
  ['bad magic', Buffer.from('\x93NUMPZ garbage here'), /bad magic/],
  ['fortran order', npyBytes('<f4', [1, 2, 2], ok4, { fortran: true }), /Fortran order/],
  ['truncated data', npyBytes('<f4', [2, 2, 2], ok4), /truncated: shape \(2, 2, 2\) needs 32 data bytes/],
  ['int32', npyBytes('<i4', [1, 2, 2], ok4), /unsupported dtype '<i4'/],
];
for (const [name, bytes, pattern] of broken) {
  test(`npy: rejects ${name}`, async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad.npy');
    await writeFile(path, bytes);
    await assertUsageError(() => loadDataset(`npy:${path}`), /npy:.*bad\.npy/, pattern);
  });
}
