// Builders for the binary files the data tests feed to the loaders, and a check for user errors.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';

/**
 * The embedded datasets' cache for tests: kept between runs (in the OS temp folder, not the
 * user's cache) so only the first run pays for converting the JSON.
 */
export const TEST_CACHE_DIR = join(tmpdir(), 'gantry-test-cache');

export { tempDir } from './tempDirs.js';

/** An IDX file: magic 0x0000TTNN, big-endian dims, then `body`. */
export function idxBytes(type: number, dims: number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

/** A .npy file with any header fields, so tests can also write broken ones. */
export function npyBytes(descr: string, shape: number[], body: Uint8Array, opts: { fortran?: boolean; version?: 1 | 2 } = {}): Buffer {
  const version = opts.version ?? 1;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${tuple}, }\n`;
  const prefix = Buffer.alloc(version === 1 ? 10 : 12);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(prefix);
  if (version === 1) prefix.writeUInt16LE(header.length, 8);
  else prefix.writeUInt32LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function float64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

/** Asserts `run` fails with a one-line UsageError whose message matches every pattern. */
export async function assertUsageError(run: () => Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, 'expected a UsageError, but it succeeded');
  assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
  assert.ok(!error.message.includes('\n'), `message should be one line: ${JSON.stringify(error.message)}`);
  for (const p of patterns) assert.match(error.message, p);
}
