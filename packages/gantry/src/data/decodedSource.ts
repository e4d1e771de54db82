import type { ImageSet, ImageShape } from 'gantry-core/data/dataset.js';
import { gantryCacheDir } from './embedded.js';
import { decodeImageFiles, type ImageFileList } from './imageCache.js';
import { DEFAULT_IMAGE_OPTIONS, parseBackground } from 'gantry-core/data/imageOptions.js';
import { byteImageSet } from 'gantry-core/data/bytePixels.js';
import { shapeText, type SourceOptions } from './sourceCommon.js';
import { UsageError } from 'gantry-core/errors.js';

/**
 * What every source of image files (folders, emoji) shares after it has listed its files:
 * decoding through the cache with the run's resize mode and background, and an ImageSet
 * over the bytes.
 */
export async function decodedImageSet(
  list: ImageFileList, numClasses: number | undefined, shape: ImageShape, opts: SourceOptions,
): Promise<ImageSet> {
  if (shape.channels !== 1 && shape.channels !== 3) {
    throw new UsageError(`${list.source}: cannot make ${shapeText(shape)} images; images load with 1 or 3 channels`);
  }
  const image = { ...DEFAULT_IMAGE_OPTIONS, ...opts.image };
  const decoded = await decodeImageFiles(list, { shape, resize: image.resize, background: parseBackground(image.background) }, {
    cacheDir: opts.cacheDir ?? gantryCacheDir(),
    progress: opts.progress ?? false,
    strict: image.strict,
    warn: opts.warn ?? ((line) => console.error(line)),
  });
  return byteImageSet({
    source: list.source, count: decoded.count, height: shape.height, width: shape.width, channels: shape.channels,
    ...(decoded.labels && numClasses !== undefined ? { labels: decoded.labels, numClasses } : {}),
    ...(image.flip ? { flip: true } : {}),
  }, decoded.bytes);
}
