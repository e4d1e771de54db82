import sharp from 'sharp';
import { writeFileAtomic } from './atomicFile.js';

/** An 8-bit image in row-major, interleaved-channel order (what PNG stores). */
export interface RasterImage {
  data: Uint8Array; // [height, width, channels]
  width: number;
  height: number;
  channels: number;
}

export interface GridOptions {
  /** Images per row; default ceil(sqrt(n)). */
  columns?: number;
  /** Pixels between and around images; default 2. */
  padding?: number;
  /** Colour of the padding, in [0, 1]; default 0 (black). */
  background01?: number;
}

/**
 * Lays out `n` NHWC images with values in [0, 1] (clamped; NaN becomes 0) as one grid image,
 * row by row: image i sits in row floor(i / columns), column i % columns.
 */
export function imageGrid(
  pixels01: Float32Array, n: number, h: number, w: number, c: number, opts: GridOptions = {},
): RasterImage {
  for (const [name, v] of [['n', n], ['h', h], ['w', w], ['c', c]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`imageGrid: ${name} must be a positive integer, got ${v}`);
  }
  if (c !== 1 && c !== 3 && c !== 4) throw new Error(`imageGrid: channels must be 1, 3 or 4, got ${c}`);
  if (pixels01.length < n * h * w * c) {
    throw new Error(`imageGrid: ${n} images of ${h}x${w}x${c} need ${n * h * w * c} values, got ${pixels01.length}`);
  }
  const columns = opts.columns ?? Math.ceil(Math.sqrt(n));
  const padding = opts.padding ?? 2;
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`imageGrid: columns must be a positive integer, got ${columns}`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`imageGrid: padding must be a non-negative integer, got ${padding}`);
  const rows = Math.ceil(n / columns);
  const width = columns * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const data = new Uint8Array(width * height * c).fill(toByte(opts.background01 ?? 0));
  for (let i = 0; i < n; i++) {
    const top = padding + Math.floor(i / columns) * (h + padding);
    const left = padding + (i % columns) * (w + padding);
    for (let y = 0; y < h; y++) {
      const src = ((i * h + y) * w) * c;
      const dst = ((top + y) * width + left) * c;
      for (let k = 0; k < w * c; k++) data[dst + k] = toByte(pixels01[src + k]!);
    }
  }
  return { data, width, height, channels: c };
}

/** Writes an 8-bit image as PNG, atomically (temp file + rename); parent directories are created. */
export async function writePng(path: string, image: RasterImage): Promise<void> {
  const { data, width, height, channels } = image;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`writePng: channels must be 1, 3 or 4, got ${channels}`);
  let encoder = sharp(data, { raw: { width, height, channels } });
  if (channels === 1) encoder = encoder.toColourspace('b-w'); // else sharp writes gray as RGB
  const png = await encoder.png().toBuffer();
  await writeFileAtomic(path, png);
}

/** `imageGrid` then `writePng`. */
export async function writeImageGridPng(
  path: string, pixels01: Float32Array, n: number, h: number, w: number, c: number, opts: GridOptions = {},
): Promise<void> {
  await writePng(path, imageGrid(pixels01, n, h, w, c, opts));
}

function toByte(v01: number): number {
  if (!(v01 > 0)) return 0; // also NaN
  if (v01 >= 1) return 255;
  return Math.round(v01 * 255);
}
