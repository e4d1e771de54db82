import { readFile } from 'node:fs/promises';
import { UsageError } from 'gantry-core/errors.js';
import { writeFileAtomic } from './atomicFile.js';

/** The element types we read; NumPy's `descr` for each is in `DESCR`. */
export type NpyDtype = 'uint8' | 'float32' | 'float64';

export interface NpyArray {
  dtype: NpyDtype;
  /** C order (row-major). */
  shape: number[];
  data: Uint8Array | Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, NpyDtype> = {
  '|u1': 'uint8', '<u1': 'uint8', 'u1': 'uint8',
  '<f4': 'float32',
  '<f8': 'float64',
};
const BYTES_PER_ELEMENT: Record<NpyDtype, number> = { uint8: 1, float32: 4, float64: 8 };

/**
 * Writes a float32 array as a NumPy .npy (format 1.0, C order, little-endian), atomically:
 * a reader never sees a half-written file at `path`. Parent directories are created.
 */
export async function writeNpyFloat32(path: string, data: Float32Array, shape: readonly number[]): Promise<void> {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`writeNpyFloat32: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new Error(`writeNpyFloat32: shape [${shape.join(', ')}] holds ${size} values but data has ${data.length}`);
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // NumPy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('writeNpyFloat32: shape too long for a version 1.0 header');
  const prefix = new Uint8Array(MAGIC.length + 4 + header.length);
  prefix.set(MAGIC, 0);
  prefix[6] = 1; // major version
  prefix[7] = 0; // minor version
  new DataView(prefix.buffer).setUint16(8, header.length, true);
  prefix.set(Buffer.from(header, 'latin1'), 10);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  await writeFileAtomic(path, [prefix, littleEndianBytes(body, 4)]);
}

/** Reads a NumPy .npy file (format 1.x, 2.x or 3.x; uint8, float32 or float64; little-endian; C order). */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; check the path`);
  }
  return parseNpy(bytes, path);
}

/** Parses the bytes of a .npy file; `name` labels error messages. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const fail = (what: string): never => {
    throw new UsageError(`${name}: ${what}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a NumPy .npy file (bad magic bytes); save it with numpy.save');
  }
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${bytes[7]}; expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (bytes.length < dataStart) fail('truncated .npy header');
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + 8 + lenBytes, headerLen).toString(major === 3 ? 'utf8' : 'latin1');

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail('malformed .npy header (no descr, fortran_order or shape)');
  const dtype = DESCR[descr!];
  if (dtype === undefined) {
    const hint = descr!.startsWith('>') ? ' (big-endian; convert with arr.astype(arr.dtype.newbyteorder("<")))' : '';
    fail(`unsupported dtype '${descr}'${hint}; use uint8, float32 or float64`);
  }
  if (fortran === 'True') fail('array is in Fortran order; save numpy.ascontiguousarray(arr) instead');
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`malformed shape (${shapeText}) in .npy header`);

  const count = shape.reduce((a, b) => a * b, 1);
  const itemBytes = BYTES_PER_ELEMENT[dtype!];
  const want = count * itemBytes;
  const have = bytes.length - dataStart;
  if (have < want) fail(`truncated: shape (${shape.join(', ')}) needs ${want} data bytes but the file has ${have}`);
  if (have > want) fail(`${have - want} bytes after the data; shape (${shape.join(', ')}) needs ${want}, so the file is damaged`);

  // Copy into fresh, aligned memory: the data offset need not be a multiple of the item size.
  const copy = new Uint8Array(want);
  copy.set(bytes.subarray(dataStart, dataStart + want));
  const raw = littleEndianBytes(copy, itemBytes);
  const data = dtype === 'uint8' ? raw
    : dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, count)
    : new Float64Array(raw.buffer, raw.byteOffset, count);
  return { dtype: dtype!, shape, data };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `bytes` in little-endian order (swapped into a copy on a big-endian host). */
function littleEndianBytes(bytes: Uint8Array, itemBytes: number): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN || itemBytes === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += itemBytes) {
    for (let j = 0; j < itemBytes; j++) out[i + j] = bytes[i + itemBytes - 1 - j]!;
  }
  return out;
}
