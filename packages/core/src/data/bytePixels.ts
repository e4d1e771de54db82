import type { ImageSet } from './dataset.js';

// What a pixel byte 0..255 is as a float, defined once: the CLI's sources that read bytes, the
// page's .gds reader, batches built straight from bytes and the .gds writer's check all read these
// tables, so a set batches bit for bit the same whether it was kept as bytes or as floats.

/** float32(b / 255) for each byte b: [0, 1]. */
const unitValues = Float32Array.from({ length: 256 }, (_, b) => b / 255);
/** float32(float32(b / 255) * 2 - 1): [-1, 1] as the float path computes it (b * (2 / 255) - 1 differs in the last bit for half of them). */
const plusMinusOneValues = unitValues.map((v) => v * 2 - 1);

/** What each byte 0..255 becomes in pixel range `range`: a shared table, to read and never write. */
export function bytePixelValues(range: '0,1' | '-1,1'): Float32Array {
  return range === '-1,1' ? plusMinusOneValues : unitValues;
}

/** Bytes 0..255 to float32 in [0, 1]. */
export function bytesToPixels01(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = unitValues[bytes[i]];
  return out;
}

/**
 * An image set over bytes (with whatever fields `base` has besides): the float copy in
 * `pixels01` is made on first read only, so a trainer that builds its batches from `bytes`
 * never holds four bytes per pixel.
 */
export function byteImageSet<T extends Omit<ImageSet, 'pixels01' | 'bytes'>>(base: T, bytes: Uint8Array): T & { readonly bytes: Uint8Array; readonly pixels01: Float32Array } {
  let floats: Float32Array | undefined;
  return {
    ...base,
    bytes,
    get pixels01() {
      floats ??= bytesToPixels01(bytes);
      return floats;
    },
  };
}
