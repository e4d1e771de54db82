// The writer of the studio's image-set file (.gds, laid out in gdsFormat.ts): the server encodes
// the built-in sets with it, and the page keeps a run's folder images in browser storage with it.
// It imports only types, the format and the byte table: a page bundles it as it is.
import { bytePixelValues } from './bytePixels.js';
import type { ImageSet } from './dataset.js';
import { DATA_FILE_MAGIC, DATA_FILE_PREFIX_BYTES, DATA_FILE_VERSION, dataFileHeaderProblem, type DataFileHeader } from './gdsFormat.js';

/**
 * Encodes an image set as the studio's data file (the layout is in gdsFormat.ts), as chunks to
 * write or concatenate. The pixels go as bytes: a set decoded from files has them (`bytes`); an
 * embedded set (MNIST) has only floats, which are bytes / 255, and are turned back exactly. A set
 * whose floats are not bytes / 255 cannot be written without loss, and is refused.
 */
export function encodeDataFile(set: ImageSet, classNames?: readonly string[]): Uint8Array[] {
  const labelled = set.labels !== undefined && set.numClasses !== undefined;
  const header: DataFileHeader = {
    source: set.source,
    count: set.count,
    height: set.height,
    width: set.width,
    channels: set.channels,
    labelled,
    ...(labelled ? { numClasses: set.numClasses } : {}),
    ...(labelled && classNames ? { classNames: [...classNames] } : {}),
  };
  const problem = dataFileHeaderProblem(header);
  if (problem) throw new Error(`cannot encode ${set.source}: ${problem}`);

  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20); // spaces after JSON are still JSON
    spaced.set(json);
    json = spaced;
  }
  const prefix = new Uint8Array(DATA_FILE_PREFIX_BYTES);
  prefix.set(new TextEncoder().encode(DATA_FILE_MAGIC), 0);
  const view = new DataView(prefix.buffer);
  view.setUint32(8, DATA_FILE_VERSION, true);
  view.setUint32(12, json.length, true);

  const chunks = [prefix, json];
  if (labelled) {
    const labels = new Uint8Array(set.count * 4);
    const lv = new DataView(labels.buffer);
    for (let i = 0; i < set.count; i++) lv.setInt32(i * 4, set.labels![i]!, true);
    chunks.push(labels);
  }
  chunks.push(pixelBytes(set));
  return chunks;
}

/** The set's pixels as bytes 0..255, NHWC. */
function pixelBytes(set: ImageSet): Uint8Array {
  const size = set.count * set.height * set.width * set.channels;
  if (set.bytes) return set.bytes.subarray(0, size);
  const floats = set.pixels01;
  const bytes = new Uint8Array(size);
  const readBack = bytePixelValues('0,1'); // the floats the reader makes of each byte
  for (let i = 0; i < size; i++) {
    const b = Math.round(floats[i]! * 255);
    // only a byte that the reader turns back into the same float is lossless
    if (!(b >= 0 && b <= 255) || readBack[b] !== floats[i]) {
      throw new Error(`cannot encode ${set.source}: pixel ${i} (${floats[i]}) is not a byte / 255`);
    }
    bytes[i] = b;
  }
  return bytes;
}

/** The chunks as one buffer (what the server keeps in memory and sends, and IndexedDB keeps). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
