import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { UsageError } from 'gantry-core/errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { DecodeProgress } from './decodeProgress.js';
import { decodeImage, type DecodeSettings } from './imageDecode.js';
import { oneLine } from './sourceCommon.js';

/** The image files a source names: paths relative to `root`, in the source's order, with a class per file when it has classes. */
export interface ImageFileList {
  /** How messages name the source, e.g. `folder:photos` or `emoji:google`. */
  source: string;
  root: string;
  files: readonly string[];
  labels?: Int32Array;
}

export interface DecodedImages {
  count: number;
  /** [count, height, width, channels] bytes of the images that decoded. */
  bytes: Uint8Array;
  /** Class per decoded image, when the list had classes. */
  labels?: Int32Array;
  /** Files that could not be decoded, in list order. */
  skipped: string[];
}

export interface DecodeOptions {
  cacheDir: string;
  progress: boolean;
  strict: boolean;
  warn: (line: string) => void;
}

/** Images decoded at once; sharp decodes on its own threads, this only bounds memory and open files. */
const DECODE_CONCURRENCY = 4;
/** How many names the skip warning lists. */
const NAMES_SHOWN = 5;

/**
 * Decodes every file of a list to bytes, once: the result is cached under
 * `<cacheDir>/images/`, keyed by the root, the file list with each file's size and mtime,
 * the labels and the decode settings (shape, resize mode, background). Any change to one
 * of them (a file edited, added or removed, another size) decodes again and replaces the
 * source's old cache file. A file that cannot be decoded is skipped with one warning line
 * (with `strict`, a UsageError instead).
 */
export async function decodeImageFiles(list: ImageFileList, settings: DecodeSettings, opts: DecodeOptions): Promise<DecodedImages> {
  // stat in a plain loop: for 10,000 files it is several times faster than 10,000 promises
  const stats = list.files.map((f) => {
    try {
      const s = statSync(join(list.root, f));
      return [s.size, Math.round(s.mtimeMs)];
    } catch (e) {
      throw new UsageError(`${list.source}: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? oneLine(e)}); check the folder`);
    }
  });
  const key = createHash('sha256').update(JSON.stringify({
    version: CACHE_VERSION, root: list.root, settings, files: list.files, stats, labels: list.labels ? Array.from(list.labels) : null,
  })).digest('hex').slice(0, 20);
  const prefix = createHash('sha256').update(list.root).digest('hex').slice(0, 12);
  const dir = join(opts.cacheDir, 'images');
  const path = join(dir, `${prefix}-${key}.bin`);

  let decoded = await readCache(path, key, settings);
  if (!decoded) {
    decoded = await decodeAll(list, settings, opts.progress);
    try {
      await writeFileAtomic(path, encodeCache(decoded, key, settings));
      for (const old of await readdir(dir)) {
        if (old.startsWith(`${prefix}-`) && old.endsWith('.bin') && old !== `${prefix}-${key}.bin`) await unlink(join(dir, old)).catch(() => undefined);
      }
    } catch {
      // an unwritable cache only costs time on the next load
    }
  }
  reportSkipped(list, decoded, opts);
  return decoded;
}

function reportSkipped(list: ImageFileList, d: DecodedImages, opts: DecodeOptions): void {
  if (d.skipped.length === 0) return;
  const names = d.skipped.slice(0, NAMES_SHOWN).join(', ') + (d.skipped.length > NAMES_SHOWN ? ', ...' : '');
  if (d.count === 0) {
    throw new UsageError(`${list.source}: none of its ${d.skipped.length} image files could be decoded (${names}); check that they are PNG, JPEG, WebP, GIF, AVIF or TIFF images`);
  }
  if (opts.strict) {
    throw new UsageError(`${list.source}: ${d.skipped.length} of ${list.files.length} image files cannot be decoded (${names}); replace or remove them, or drop --strict to skip them`);
  }
  opts.warn(`gantry: warning: ${list.source}: skipped ${d.skipped.length} of ${list.files.length} image files that cannot be decoded: ${names}`);
}

async function decodeAll(list: ImageFileList, settings: DecodeSettings, showProgress: boolean): Promise<DecodedImages> {
  const { height, width, channels } = settings.shape;
  const size = height * width * channels;
  const n = list.files.length;
  const bytes = new Uint8Array(n * size);
  const ok = new Uint8Array(n);
  const progress = new DecodeProgress(list.source, n, showProgress);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        bytes.set(await decodeImage(join(list.root, list.files[i]!), settings), i * size);
        ok[i] = 1;
      } catch {
        // reported once, with the others, after the loop
      }
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, n) }, worker));
  progress.finish(ok.reduce((a, b) => a + b, 0));

  const skipped: string[] = [];
  const labels = list.labels ? new Int32Array(n) : undefined;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!ok[i]) {
      skipped.push(list.files[i]!);
      continue;
    }
    if (count !== i) bytes.copyWithin(count * size, i * size, (i + 1) * size);
    if (labels) labels[count] = list.labels![i]!;
    count++;
  }
  return { count, bytes: bytes.subarray(0, count * size), labels: labels?.slice(0, count), skipped };
}

// Cache file: 'GANTRYIM', u32 LE format version, u32 LE header length, the header (JSON:
// key, count, shape, labelled, skipped names, crc32 of the labels), then the pixels, then
// the labels as int32 LE when labelled. The pixels are not checksummed: the second start is
// meant to take a moment, and a checksum over a gigabyte would cost seconds; the key and the
// exact length catch a stale or truncated file.
const CACHE_MAGIC = Buffer.from('GANTRYIM', 'latin1');
const CACHE_VERSION = 2;

interface CacheHeader {
  key: string;
  count: number;
  shape: [number, number, number];
  labelled: boolean;
  skipped: string[];
  crc: number;
}

function encodeCache(d: DecodedImages, key: string, s: DecodeSettings): Uint8Array[] {
  const labels = d.labels ? new Uint8Array(d.labels.buffer, d.labels.byteOffset, d.labels.byteLength) : new Uint8Array(0);
  const header: CacheHeader = {
    key, count: d.count, shape: [s.shape.height, s.shape.width, s.shape.channels], labelled: Boolean(d.labels), skipped: d.skipped, crc: crc32(labels),
  };
  const json = Buffer.from(JSON.stringify(header));
  const fixed = Buffer.alloc(16);
  CACHE_MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(CACHE_VERSION, 8);
  fixed.writeUInt32LE(json.length, 12);
  return [fixed, json, d.bytes, labels];
}

/** The cached images, or undefined when the file is missing, from other settings or damaged (then they are decoded again). */
async function readCache(path: string, key: string, s: DecodeSettings): Promise<DecodedImages | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    if (bytes.length < 16 || !bytes.subarray(0, 8).equals(CACHE_MAGIC) || bytes.readUInt32LE(8) !== CACHE_VERSION) return undefined;
    const jsonEnd = 16 + bytes.readUInt32LE(12);
    const h = JSON.parse(bytes.subarray(16, jsonEnd).toString('utf8')) as CacheHeader;
    const size = s.shape.height * s.shape.width * s.shape.channels;
    if (h.key !== key || h.shape.join() !== [s.shape.height, s.shape.width, s.shape.channels].join()) return undefined;
    const pixelsEnd = jsonEnd + h.count * size;
    if (bytes.length !== pixelsEnd + (h.labelled ? 4 * h.count : 0)) return undefined;
    const pixels = bytes.subarray(jsonEnd, pixelsEnd);
    const labelBytes = bytes.subarray(pixelsEnd);
    if (crc32(labelBytes) !== h.crc) return undefined;
    const labels = h.labelled ? new Int32Array(Uint8Array.from(labelBytes).buffer) : undefined; // a copy: Int32Array needs 4-byte alignment
    return { count: h.count, bytes: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), labels, skipped: h.skipped };
  } catch {
    return undefined;
  }
}
