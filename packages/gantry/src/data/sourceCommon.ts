import type { ImageShape } from './dataset.js';

/** What every data source accepts. */
export interface SourceOptions {
  /** The image shape the model wants; only sources that can resize (folders) use it. */
  shape?: ImageShape;
  /** Keep only the first `limit` images (in the source's deterministic order). */
  limit?: number;
}

/** `28x28x1`: how messages print a shape. */
export function shapeText(s: ImageShape): string {
  return `${s.height}x${s.width}x${s.channels}`;
}

/** How many of `available` images to keep under `limit`. */
export function keptCount(available: number, limit: number | undefined): number {
  return limit === undefined ? available : Math.min(available, limit);
}

/** Bytes 0..255 to float32 in [0, 1]. */
export function bytesToPixels01(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}

/** A message-safe, single-line version of an error from a library. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim();
}
