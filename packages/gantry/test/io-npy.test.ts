import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNpy, readNpy, writeNpyFloat32 } from '../src/io/npy.js';
import { assertUsageError, float64Bytes, npyBytes, tempDir } from './dataFixtures.js';

test('writeNpyFloat32 then readNpy gives back the same values and shape', async () => {
  const dir = await tempDir();
  const data = Float32Array.from({ length: 2 * 3 * 4 * 1 }, (_, i) => i / 23 - 0.5);
  const path = join(dir, 'nested', 'deeper', 'x.npy'); // parent folders are created
  await writeNpyFloat32(path, data, [2, 3, 4, 1]);
  const back = await readNpy(path);
  assert.equal(back.dtype, 'float32');
  assert.deepEqual(back.shape, [2, 3, 4, 1]);
  assert.deepEqual(back.data, data);
  // NumPy's layout: the data starts on a 64-byte boundary and the header ends in a newline.
  const bytes = await readFile(path);
  const dataStart = 10 + bytes.readUInt16LE(8);
  assert.equal(dataStart % 64, 0);
  assert.equal(bytes[dataStart - 1], 0x0a);
  assert.equal(bytes.length, dataStart + data.byteLength);
  // No temp file is left beside the target.
  assert.deepEqual(await readdir(join(dir, 'nested', 'deeper')), ['x.npy']);
});

test('writeNpyFloat32 writes 1-D shapes as a one-element tuple and overwrites atomically', async () => {
  const dir = await tempDir();
  const path = join(dir, 'v.npy');
  await writeFile(path, 'old contents');
  await writeNpyFloat32(path, Float32Array.from([1, 2, 3]), [3]);
  assert.match((await readFile(path)).toString('latin1'), /'shape': \(3,\)/);
  assert.deepEqual((await readNpy(path)).data, Float32Array.from([1, 2, 3]));
});

test('writeNpyFloat32 refuses a shape that does not match the data', async () => {
  const dir = await tempDir();
  await assert.rejects(writeNpyFloat32(join(dir, 'x.npy'), new Float32Array(5), [2, 3]), /holds 6 values but data has 5/);
  assert.deepEqual(await readdir(dir), []);
});

test('parseNpy reads version 2 headers, float64 and uint8', () => {
  const f64 = parseNpy(npyBytes('<f8', [2], float64Bytes([0.25, 1]), { version: 2 }), 'a.npy');
  assert.equal(f64.dtype, 'float64');
  assert.deepEqual(Array.from(f64.data), [0.25, 1]);
  const u8 = parseNpy(npyBytes('|u1', [1, 3], Uint8Array.from([0, 7, 255])), 'b.npy');
  assert.equal(u8.dtype, 'uint8');
  assert.deepEqual(u8.shape, [1, 3]);
  assert.deepEqual(Array.from(u8.data), [0, 7, 255]);
});

const broken: Array<[string, Uint8Array, RegExp]> = [
  ['bad magic', Buffer.from('PK\x03\x04 not numpy at all'), /bad magic/],
  ['fortran order', npyBytes('<f4', [2, 2], new Uint8Array(16), { fortran: true }), /Fortran order/],
  ['big-endian', npyBytes('>f4', [2], new Uint8Array(8)), /unsupported dtype '>f4'.*big-endian/],
  ['int64', npyBytes('<i8', [2], new Uint8Array(16)), /unsupported dtype '<i8'.*uint8, float32 or float64/],
  ['truncated data', npyBytes('<f4', [4], new Uint8Array(10)), /truncated.*needs 16 data bytes.*has 10/],
  ['extra data', npyBytes('<f4', [1], new Uint8Array(8)), /4 bytes after the data/],
  ['truncated header', npyBytes('<f4', [1], new Uint8Array(4)).subarray(0, 30), /truncated \.npy header/],
];
for (const [name, bytes, pattern] of broken) {
  test(`parseNpy rejects ${name}`, async () => {
    await assertUsageError(async () => parseNpy(bytes, 'bad.npy'), /bad\.npy/, pattern);
  });
}

test('readNpy names a missing file', async () => {
  await assertUsageError(() => readNpy('/nonexistent/x.npy'), /cannot read \/nonexistent\/x\.npy: ENOENT/);
});
