import sharp from 'sharp';
import type { ImageShape } from 'gantry-core/data/dataset.js';
import type { ResizeMode } from 'gantry-core/data/imageOptions.js';

import { luma } from 'gantry-core/data/imageFileRules.js';

/** The file types listed (imageFileRules.ts); sharp's prebuilt libvips decodes all of them. */
export { IMAGE_EXTENSIONS, IMAGE_TYPES_TEXT } from 'gantry-core/data/imageFileRules.js';

const FIT: Record<ResizeMode, keyof sharp.FitEnum> = { crop: 'cover', pad: 'contain', stretch: 'fill' };

export interface DecodeSettings {
  shape: ImageShape;
  resize: ResizeMode;
  background: [number, number, number];
}

/**
 * One image file as bytes [height, width, channels], whatever it holds: alpha composited
 * onto the background, palette, grey, 16-bit and CMYK converted to 8-bit sRGB (or grey when
 * the shape has one channel), resized by the mode. Animated files give their first frame.
 * Throws the decoder's error for a file it cannot read.
 */
export async function decodeImage(path: string, s: DecodeSettings): Promise<Uint8Array> {
  const [r, g, b] = s.background;
  const { width, height, channels } = s.shape;
  let image = sharp(path)
    .flatten({ background: { r, g, b } })
    .resize(width, height, { fit: FIT[s.resize], position: 'centre', background: { r, g, b, alpha: 1 } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb');
  const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error(`decoded to ${info.width}x${info.height}, not ${width}x${height}`);
  if (info.channels === channels) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  return convertChannels(data, info.channels, channels, width * height);
}

/** Channel counts libvips may still hand back (grey kept as one band; a stray alpha band). */
function convertChannels(data: Uint8Array, from: number, to: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    const src = p * from;
    if (to === 3) {
      const grey = from < 3;
      for (let k = 0; k < 3; k++) out[p * 3 + k] = data[src + (grey ? 0 : k)]!;
    } else {
      out[p] = from >= 3 ? luma(data[src]!, data[src + 1]!, data[src + 2]!) : data[src]!;
    }
  }
  return out;
}

/** Image size and whether it is grey, read from the header only. */
export async function imageHeader(path: string): Promise<{ height: number; width: number; grey: boolean }> {
  const meta = await sharp(path).metadata();
  if (!meta.width || !meta.height) throw new Error('no image size in the file');
  return { height: meta.height, width: meta.width, grey: meta.channels !== undefined && meta.channels <= 2 };
}
