import type { ImageShape } from 'gantry-core/data/dataset.js';
import type { ImageOptions } from 'gantry-core/data/imageOptions.js';

/** What every data source accepts. */
export interface SourceOptions {
  /** The image shape the model wants; only sources that can resize (folders) use it. */
  shape?: ImageShape;
  /** Keep only the first `limit` images (in the source's deterministic order). */
  limit?: number;
  /** Resize mode, background, flip, strict: for sources of decoded images (folders, emoji). */
  image?: Partial<ImageOptions>;
  /** Where decoded images are cached (default: gantryCacheDir()). */
  cacheDir?: string;
  /** Show a progress bar on stderr while images are decoded. */
  progress?: boolean;
  /** Where warnings go (a skipped file); default: one line on stderr. */
  warn?: (line: string) => void;
}

/** `28x28x1`: how messages print a shape. */
export function shapeText(s: ImageShape): string {
  return `${s.height}x${s.width}x${s.channels}`;
}

/** How many of `available` images to keep under `limit`. */
export function keptCount(available: number, limit: number | undefined): number {
  return limit === undefined ? available : Math.min(available, limit);
}

/** A message-safe, single-line version of an error from a library. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim();
}
