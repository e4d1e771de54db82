import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { UsageError } from '../errors.js';
import type { ImageSet, ImageShape } from './dataset.js';
import { keptCount, oneLine, shapeText, type SourceOptions } from './sourceCommon.js';

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp)$/i;
/** Images decoded at once; sharp decodes on its own threads, this only bounds memory and open files. */
const DECODE_CONCURRENCY = 4;

/**
 * Loads every PNG, JPEG and WebP image under `dir` (recursively, in sorted path order),
 * resized (scaled to cover, centre-cropped) to `opts.shape`, grayscale when it has one channel.
 * Without a shape the first image's size is used, with 1 channel if it is grayscale, else 3.
 * Alpha is flattened onto black. When every image sits in a first-level subfolder, the
 * subfolder names (sorted) are the classes.
 */
export async function loadFolder(dir: string, opts: SourceOptions = {}): Promise<ImageSet> {
  const source = `folder:${dir}`;
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new UsageError(`${source}: folder not found; check the path`);
  }
  if (!info.isDirectory()) throw new UsageError(`${source} is not a folder; give a folder of PNG/JPEG/WebP images`);

  const all = await listImages(dir);
  if (all.length === 0) throw new UsageError(`${source} holds no images (.png, .jpg, .jpeg, .webp); add some or fix the path`);
  const files = all.slice(0, keptCount(all.length, opts.limit));
  const shape = opts.shape ?? (await shapeOf(dir, files[0]!, source));
  if (shape.channels !== 1 && shape.channels !== 3) {
    throw new UsageError(`${source}: cannot make ${shapeText(shape)} images; folders load with 1 or 3 channels`);
  }

  const size = shape.height * shape.width * shape.channels;
  const pixels01 = new Float32Array(files.length * size);
  await forEachBounded(files, DECODE_CONCURRENCY, async (file, i) => {
    const bytes = await decode(join(dir, file), shape, source, file);
    for (let k = 0; k < size; k++) pixels01[i * size + k] = bytes[k]! / 255;
  });

  const base = { source, count: files.length, height: shape.height, width: shape.width, channels: shape.channels, pixels01 };
  const classOf = (file: string) => file.split('/')[0]!;
  if (!all.every((f) => f.includes('/'))) return base;
  const classes = [...new Set(all.map(classOf))].sort(compareCodeUnits);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { ...base, labels: Int32Array.from(files, (f) => index.get(classOf(f))!), numClasses: classes.length };
}

/** Image paths relative to `root`, '/'-separated, sorted by code unit (the same on every machine and locale). */
async function listImages(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.test(e.name))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
    .sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function shapeOf(dir: string, file: string, source: string): Promise<ImageShape> {
  try {
    const meta = await sharp(join(dir, file)).metadata();
    const gray = meta.channels !== undefined && meta.channels <= 2;
    return { height: meta.height!, width: meta.width!, channels: gray ? 1 : 3 };
  } catch (e) {
    throw new UsageError(`${source}: cannot read image ${file} (${oneLine(e)}); replace or remove it`);
  }
}

/** One image as bytes [height, width, channels]. */
async function decode(path: string, shape: ImageShape, source: string, file: string): Promise<Uint8Array> {
  try {
    let image = sharp(path).flatten({ background: { r: 0, g: 0, b: 0 } })
      .resize(shape.width, shape.height, { fit: 'cover' });
    image = shape.channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.width !== shape.width || info.height !== shape.height || info.channels !== shape.channels) {
      throw new Error(`decoded to ${info.height}x${info.width}x${info.channels}`);
    }
    return data;
  } catch (e) {
    throw new UsageError(`${source}: cannot read image ${file} (${oneLine(e)}); replace or remove it`);
  }
}

/** Runs `work` on every item, at most `limit` at a time; the first failure rejects. */
async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
