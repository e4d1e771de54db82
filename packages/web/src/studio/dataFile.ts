// Reads the studio's image-set file (.gds; the layout is in packages/core/src/data/gdsFormat.ts,
// which the writer, gdsWrite.ts, shares) into the fields of Gantry's ImageSet. Plain typed arrays
// and DataView only: it runs in a page, a worker, or Node.
import { byteImageSet } from 'gantry-core/data/bytePixels.js';
import {
  DATA_FILE_MAGIC, DATA_FILE_PREFIX_BYTES, DATA_FILE_VERSION, dataFileBodyBytes, dataFileHeaderProblem, type DataFileHeader,
} from 'gantry-core/data/gdsFormat.js';

/** An image set as the page trains on it: the fields of Gantry's ImageSet (data/dataset.ts), with the class names when known. */
export interface StudioImageSet {
  readonly source: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** [count, height, width, channels] bytes 0..255. */
  readonly bytes: Uint8Array;
  /** The same pixels as float32 in [0, 1] (gantry-core's bytesToPixels01, as the CLI computes them), made on first read: four times the bytes' memory. */
  readonly pixels01: Float32Array;
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
}

/** A file that is not a sound .gds file; the message says what is wrong with it. */
export class DataFileError extends Error {
  constructor(what: string, problem: string) {
    super(`${what} is not a Gantry data file: ${problem}`);
    this.name = 'DataFileError';
  }
}

/**
 * Decodes a whole .gds file. `what` names it in errors (a URL or a file name). The pixels are
 * a view into `data` (no copy); the labels are copied (an Int32Array needs 4-byte alignment,
 * which a slice of a larger buffer need not have).
 */
export function decodeDataFile(data: ArrayBuffer | Uint8Array, what = 'the file'): StudioImageSet {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length < DATA_FILE_PREFIX_BYTES) throw new DataFileError(what, `it is ${bytes.length} bytes long, shorter than the ${DATA_FILE_PREFIX_BYTES}-byte prefix`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== DATA_FILE_MAGIC) throw new DataFileError(what, `it does not start with ${DATA_FILE_MAGIC}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== DATA_FILE_VERSION) throw new DataFileError(what, `it is format version ${version}; this page reads version ${DATA_FILE_VERSION} (rebuild the data with this Gantry)`);
  const headerBytes = view.getUint32(12, true);
  const bodyAt = DATA_FILE_PREFIX_BYTES + headerBytes;
  if (bodyAt > bytes.length) throw new DataFileError(what, `its header of ${headerBytes} bytes runs past the end of the file`);
  let header: DataFileHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(DATA_FILE_PREFIX_BYTES, bodyAt))) as DataFileHeader;
  } catch {
    throw new DataFileError(what, 'its header is not JSON');
  }
  const problem = dataFileHeaderProblem(header);
  if (problem) throw new DataFileError(what, problem);
  const body = dataFileBodyBytes(header);
  const expected = bodyAt + body.labels + body.pixels;
  if (bytes.length !== expected) throw new DataFileError(what, `it is ${bytes.length} bytes long; its header describes ${expected} (a truncated download?)`);

  let labels: Int32Array | undefined;
  if (header.labelled) {
    labels = new Int32Array(header.count);
    for (let i = 0; i < header.count; i++) {
      const label = view.getInt32(bodyAt + i * 4, true);
      if (label < 0 || label >= header.numClasses!) throw new DataFileError(what, `image ${i} has label ${label}, outside 0..${header.numClasses! - 1}`);
      labels[i] = label;
    }
  }
  const pixels = bytes.subarray(bodyAt + body.labels, expected);
  return byteImageSet({
    source: header.source,
    count: header.count,
    height: header.height,
    width: header.width,
    channels: header.channels,
    ...(labels ? { labels, numClasses: header.numClasses } : {}),
    ...(header.classNames ? { classNames: header.classNames } : {}),
  }, pixels);
}
