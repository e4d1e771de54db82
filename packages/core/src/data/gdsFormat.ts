// The studio's image-set file (.gds), shared by its writer (gdsWrite.ts: the server, and the page keeping a run's images) and its
// reader (packages/web/src/studio/dataFile.ts, a page or Node), so that the two cannot drift
// apart. It imports nothing: a page bundles it as it is.
//
// Layout, every number little-endian:
//   0   magic 'GNTRYDAT'                          8 bytes (ASCII)
//   8   format version                            u32 (DATA_FILE_VERSION)
//   12  header length H                           u32, a multiple of 4
//   16  header: JSON in UTF-8 (DataFileHeader), padded with spaces to H bytes
//   16+H             labels: count x int32, only when the header says `labelled`
//   then             pixels: count x height x width x channels bytes 0..255, NHWC
// The file ends there; any other length is an error. The header is padded so the labels start
// on a 4-byte boundary. No compression: web servers and static hosts compress on the wire.

export const DATA_FILE_MAGIC = 'GNTRYDAT';
export const DATA_FILE_VERSION = 1;
/** Magic, version and header length. */
export const DATA_FILE_PREFIX_BYTES = 16;
/** The extension the studio's data files carry. */
export const DATA_FILE_EXTENSION = '.gds';

/** What the JSON header holds. */
export interface DataFileHeader {
  /** The data spec it came from, e.g. `mnist` or `emoji:twitter`. */
  source: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Whether an int32 label per image follows the header. */
  labelled: boolean;
  /** How many classes the labels index (0 .. numClasses-1), when labelled. */
  numClasses?: number;
  /** The classes' names in label order, when known. */
  classNames?: string[];
}

/** Bytes of the labels and pixels that follow a header: what a reader checks the file's length against. */
export function dataFileBodyBytes(h: DataFileHeader): { labels: number; pixels: number } {
  return { labels: h.labelled ? h.count * 4 : 0, pixels: h.count * h.height * h.width * h.channels };
}

/** The reason a parsed header is unusable, or null when it is sound. */
export function dataFileHeaderProblem(h: unknown): string | null {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return 'the header is not a JSON object';
  const v = h as Record<string, unknown>;
  if (typeof v.source !== 'string') return 'the header has no source';
  for (const key of ['count', 'height', 'width', 'channels'] as const) {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < (key === 'count' ? 0 : 1)) return `the header's ${key} is not a whole number`;
  }
  if (v.channels !== 1 && v.channels !== 3) return `the header's channels is ${String(v.channels)}, not 1 or 3`;
  if (typeof v.labelled !== 'boolean') return "the header's labelled is not true or false";
  if (v.numClasses !== undefined && !(typeof v.numClasses === 'number' && Number.isSafeInteger(v.numClasses) && v.numClasses >= 1)) {
    return "the header's numClasses is not a positive whole number";
  }
  if (v.labelled && v.numClasses === undefined) return 'the header says labelled but gives no numClasses';
  if (v.classNames !== undefined) {
    if (!Array.isArray(v.classNames) || !v.classNames.every((n) => typeof n === 'string')) return "the header's classNames is not a list of names";
    if (v.classNames.length !== v.numClasses) return `the header names ${v.classNames.length} classes but numClasses is ${String(v.numClasses)}`;
  }
  return null;
}

/** One line of data/index.json. */
export interface StudioSetEntry {
  name: string;
  title: string;
  /** Relative to data/index.json. */
  file: string;
  /** The data spec it holds, as the CLI names it. */
  source: string;
  count: number;
  /** [height, width, channels] */
  shape: [number, number, number];
  /** How many classes the labels index; 0 when the set has no labels. */
  classes: number;
  classNames: string[];
  /** The file's size in bytes, so a page can show progress before the first byte. */
  bytes: number;
}

/** What data/index.json holds. */
export interface StudioDataIndex {
  format: 'gantry-studio-data';
  formatVersion: 1;
  sets: StudioSetEntry[];
}

