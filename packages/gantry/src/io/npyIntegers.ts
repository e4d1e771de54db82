import { readFile } from 'node:fs/promises';
import { UsageError } from 'gantry-core/errors.js';
import { parseNpy } from './npy.js';

/** Integer descriptors read here, and the float type of the same width whose layout parseNpy checks. */
const INTEGER_DESCR: Record<string, { sameWidth: string; bytes: 1 | 4 | 8 }> = {
  '|u1': { sameWidth: '|u1', bytes: 1 },
  '<u1': { sameWidth: '<u1', bytes: 1 },
  '|i1': { sameWidth: '|u1', bytes: 1 },
  '<i4': { sameWidth: '<f4', bytes: 4 },
  '<i8': { sameWidth: '<f8', bytes: 8 },
};

/**
 * Reads a .npy file of integers (int8, uint8, int32 or int64, little-endian, C order), such as
 * class labels. The header, shape and size are checked by `parseNpy` (the file is read as the
 * float type of the same width, whose layout is identical); the values are then read as integers.
 * int64 values must be safe JavaScript integers.
 */
export async function readNpyIntegers(path: string): Promise<{ shape: number[]; values: Float64Array }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; check the path`);
  }
  const header = bytes.subarray(0, Math.min(bytes.length, 1024)).toString('latin1');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const kind = descr === undefined ? undefined : INTEGER_DESCR[descr];
  if (descr !== undefined && !kind) {
    throw new UsageError(`${path}: dtype '${descr}' is not an integer type; save the labels as int32 or int64 (numpy.save(path, labels.astype('int64')))`);
  }
  const copy = Buffer.from(bytes);
  if (kind && descr !== kind.sameWidth) {
    const at = copy.indexOf(descr!, 0, 'latin1');
    copy.write(kind.sameWidth, at, 'latin1');
  }
  const parsed = parseNpy(copy, path);
  const raw = parsed.data;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = raw.byteLength / (kind?.bytes ?? 1);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (descr === '|i1') values[i] = view.getInt8(i);
    else if (kind?.bytes === 4) values[i] = view.getInt32(i * 4, true);
    else if (kind?.bytes === 8) {
      const v = view.getBigInt64(i * 8, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new UsageError(`${path}: value ${v} at index ${i} is too large for a label`);
      values[i] = Number(v);
    } else values[i] = view.getUint8(i);
  }
  return { shape: parsed.shape, values };
}
