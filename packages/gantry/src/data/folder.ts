import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import type { ImageSet, ImageShape } from 'gantry-core/data/dataset.js';
import { compareCodeUnits, folderClasses, IMAGE_EXTENSIONS, IMAGE_TYPES_TEXT } from 'gantry-core/data/imageFileRules.js';
import { imageHeader } from './imageDecode.js';
import { decodedImageSet } from './decodedSource.js';
import { keptCount, oneLine, type SourceOptions } from './sourceCommon.js';

/**
 * Loads every PNG, JPEG, WebP, GIF, AVIF and TIFF image under `dir` (recursively, in sorted
 * path order), decoded through the shared decode cache (imageCache.ts) to `opts.shape` with
 * the resize mode and background of `opts.image`. Without a shape the first image's size is
 * used, with 1 channel if it is grey, else 3. When every image sits in a first-level
 * subfolder, the subfolder names (sorted) are the classes.
 */
export async function loadFolder(dir: string, opts: SourceOptions = {}): Promise<ImageSet> {
  const source = `folder:${dir}`;
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new UsageError(`${source}: folder not found; check the path`);
  }
  if (!info.isDirectory()) throw new UsageError(`${source} is not a folder; give a folder of images (${IMAGE_TYPES_TEXT})`);

  const all = await listImages(dir);
  if (all.length === 0) throw new UsageError(`${source} holds no images (${IMAGE_TYPES_TEXT}); add some or fix the path`);
  const files = all.slice(0, keptCount(all.length, opts.limit));
  const shape = opts.shape ?? (await naturalShape(dir, files, source));

  const classes = folderClasses(all);
  const labels = classes ? Int32Array.from(files, classes.classOf) : undefined;
  return decodedImageSet({ source, root: resolve(dir), files, labels }, classes?.classes.length, shape, opts);
}

/** Image paths relative to `root`, '/'-separated, sorted by code unit (the same on every machine and locale). */
async function listImages(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.test(e.name))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
    .sort(compareCodeUnits);
}

/** The size of the first image whose header reads, grey (1 channel) or colour (3). */
async function naturalShape(dir: string, files: string[], source: string): Promise<ImageShape> {
  let firstError = '';
  for (const file of files) {
    try {
      const h = await imageHeader(join(dir, file));
      return { height: h.height, width: h.width, channels: h.grey ? 1 : 3 };
    } catch (e) {
      firstError ||= `${file}: ${oneLine(e)}`;
    }
  }
  throw new UsageError(`${source}: none of its ${files.length} image files could be decoded (${firstError}); replace or remove them`);
}
