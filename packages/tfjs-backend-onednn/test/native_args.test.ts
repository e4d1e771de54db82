import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { nativeAddon } from '../src/addon.js';
import { onednnStatus, setThreads } from '../src/index.js';
import { ensureBackend } from './parity.js';

before(ensureBackend);

test('native calls reject bad arguments with a message naming the argument', () => {
  const addon = nativeAddon();
  const geometry = Int32Array.from([1, 4, 4, 1, 3, 3, 2, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1]);
  const x = new Float32Array(16), w = new Float32Array(18), y = new Float32Array(32);
  addon.conv2dForward(x, w, null, y, geometry, 0, 0);
  assert.throws(() => addon.conv2dForward(x, new Float32Array(17), null, y, geometry, 0, 0),
    /conv2dForward: argument 'filter' has 17 elements, expected 18/);
  assert.throws(() => addon.conv2dForward(x, w, null, y, geometry, 9, 0), /argument 'activation'/);
  assert.throws(() => addon.conv2dForward(x, w, null, y, geometry.subarray(0, 5), 0, 0), /argument 'geometry'/);
  assert.throws(() => addon.matmul(new Float32Array(6), new Float32Array(9), new Float32Array(4),
    Int32Array.from([1, 1, 2, 3, 3, 0, 0]), null, 0, 0), /matmul: argument 'out' has 4 elements, expected 6/);
  assert.throws(() => addon.matmul(new Float32Array(5), new Float32Array(6), new Float32Array(4),
    Int32Array.from([1, 1, 2, 2, 3, 0, 0]), null, 0, 0), /matmul: argument 'a' has 5 elements, expected 6/);
  assert.throws(() => addon.reduce(0, new Float32Array(5), new Float32Array(1), 1, 6, 1, 1),
    /reduce: argument 'x' has 5 elements, expected 6/);
  assert.throws(() => (addon.unary as (...a: unknown[]) => void)(0, [1, 2], new Float32Array(2), 0),
    /unary: argument 'x' must be a typed array/);
  assert.throws(() => addon.adamUpdate([new Float32Array(2)], [new Float32Array(3)], [new Float32Array(2)],
    [new Float32Array(2)], 0.1, 0.9, 0.999, 1e-7), /adamUpdate: argument 'grads' entry 0 has the wrong size/);
});

test('thread count follows setThreads', () => {
  setThreads(2);
  assert.deepEqual(onednnStatus(), { ok: true, threads: 2 });
  setThreads(1);
  assert.deepEqual(onednnStatus(), { ok: true, threads: 1 });
  assert.throws(() => setThreads(0), RangeError);
});
