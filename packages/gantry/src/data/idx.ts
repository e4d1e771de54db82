import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UsageError } from 'gantry-core/errors.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { bytesToPixels01 } from 'gantry-core/data/bytePixels.js';
import { keptCount, oneLine, type SourceOptions } from './sourceCommon.js';

/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/), plain or gzipped:
 * big-endian magic 0x0000TTNN (TT the element type, NN the number of dimensions), NN
 * big-endian uint32 dimensions, then the elements in C order.
 */
const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

interface IdxArray {
  type: number;
  dims: number[];
  data: Uint8Array;
}

/**
 * Loads unsigned-byte images [n, rows, cols] (or [n, rows, cols, channels], channels 1 or 3)
 * from an IDX file. Labels come from a sibling labels file when one exists under the
 * conventional name (`train-images-idx3-ubyte` -> `train-labels-idx1-ubyte`, `.gz` or not).
 */
export async function loadIdx(path: string, opts: SourceOptions = {}): Promise<ImageSet> {
  const source = `idx:${path}`;
  const images = await readIdx(path, source);
  if (images.dims.length === 1) {
    throw new UsageError(`${source} is a labels file (1 dimension); give the images file (magic 0x00000803) instead`);
  }
  if (images.type !== UBYTE) {
    throw new UsageError(`${source} holds ${TYPE_NAMES[images.type]} elements; only unsigned-byte images (magic 0x00000803) are supported`);
  }
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new UsageError(`${source} has ${images.dims.length} dimensions; expected images [n, rows, cols] (magic 0x00000803) or [n, rows, cols, channels]`);
  }
  const [n, height, width] = images.dims as [number, number, number];
  const channels = images.dims[3] ?? 1;
  if (channels !== 1 && channels !== 3) throw new UsageError(`${source} has ${channels} channels per pixel; expected 1 or 3`);
  if (n === 0) throw new UsageError(`${source} holds zero images; give a file with at least one`);
  if (height === 0 || width === 0) throw new UsageError(`${source} has empty images (${height}x${width}); the file is damaged`);

  const count = keptCount(n, opts.limit);
  const size = height * width * channels;
  const pixels01 = bytesToPixels01(images.data.subarray(0, count * size));

  const labelsPath = siblingLabelsPath(path);
  if (labelsPath === undefined) return { source, count, height, width, channels, pixels01 };
  const labelFile = await readIdx(labelsPath, `idx:${labelsPath}`);
  if (labelFile.type !== UBYTE || labelFile.dims.length !== 1) {
    throw new UsageError(`${labelsPath} (labels for ${source}) is not an unsigned-byte labels file (magic 0x00000801); fix or remove it`);
  }
  if (labelFile.dims[0] !== n) {
    throw new UsageError(`${labelsPath} holds ${labelFile.dims[0]} labels but ${source} holds ${n} images; use matching files`);
  }
  const labels = Int32Array.from(labelFile.data.subarray(0, count));
  let numClasses = 0;
  for (const l of labelFile.data) numClasses = Math.max(numClasses, l + 1);
  return { source, count, height, width, channels, pixels01, labels, numClasses };
}

/** The labels file that conventionally sits beside an images file, if it exists. */
function siblingLabelsPath(imagesPath: string): string | undefined {
  const name = basename(imagesPath);
  if (!name.includes('images')) return undefined;
  const stem = name.replace('images', 'labels').replace('idx3', 'idx1').replace(/\.gz$/, '');
  for (const candidate of [stem, `${stem}.gz`]) {
    const full = join(dirname(imagesPath), candidate);
    if (candidate !== name && existsSync(full)) return full;
  }
  return undefined;
}

async function readIdx(path: string, source: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${source}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}; check the path`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new UsageError(`${source} is a damaged gzip file (${oneLine(e)}); download it again`);
    }
  }
  return parseIdx(bytes, source);
}

function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Buffer.from(bytes.subarray(0, 4)).toString('hex').padEnd(8, '?');
    throw new UsageError(`${source} is not an IDX file (magic 0x${magic}; expected 0x00000803 for images); check the path`);
  }
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (TYPE_NAMES[type] === undefined) {
    throw new UsageError(`${source} has unknown IDX element type 0x${type.toString(16).padStart(2, '0')}; expected 0x08 (unsigned byte)`);
  }
  if (rank === 0) throw new UsageError(`${source} declares 0 dimensions; the file is damaged`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new UsageError(`${source} is truncated inside its header; download it again`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const itemBytes = type === 0x08 || type === 0x09 ? 1 : type === 0x0b ? 2 : type === 0x0e ? 8 : 4;
  const want = dims.reduce((a, b) => a * b, 1) * itemBytes;
  const have = bytes.length - headerBytes;
  if (have < want) {
    throw new UsageError(`${source} is truncated: dimensions [${dims.join(', ')}] need ${want} data bytes but it has ${have}; download it again`);
  }
  if (have > want) {
    throw new UsageError(`${source} has ${have - want} bytes beyond its dimensions [${dims.join(', ')}]; the header does not match the file size`);
  }
  return { type, dims, data: bytes.subarray(headerBytes) };
}
