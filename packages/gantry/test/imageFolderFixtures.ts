import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

// A folder of the user's own images as the studio's folder tests give it to the page: PNG, JPEG
// and WebP files of mixed sizes in two class subfolders, one file named like an image that is not
// one, and one file of a type that is not read at all.

export const RED = { r: 220, g: 30, b: 30 };
export const BLUE = { r: 30, g: 30, b: 220 };

/** 20 images per class (cats red, dogs blue), formats and sizes mixed; the first cat is half transparent. */
export async function writeImageFolder(root: string): Promise<void> {
  const formats = ['png', 'jpg', 'webp'] as const;
  for (const [name, colour] of [['cats', RED], ['dogs', BLUE]] as const) {
    mkdirSync(join(root, name));
    for (let i = 0; i < 20; i++) {
      const format = formats[i % 3]!;
      const [width, height] = [[24, 24], [40, 20], [18, 30]][i % 3]!;
      let image = sharp({ create: { width, height, channels: 3, background: colour } });
      if (name === 'cats' && i === 0) {
        // 32x16: the left half opaque red, the right half transparent
        const rgba = Buffer.alloc(32 * 16 * 4);
        for (let p = 0; p < 32 * 16; p++) if (p % 32 < 16) rgba.set([RED.r, RED.g, RED.b, 255], p * 4);
        image = sharp(rgba, { raw: { width: 32, height: 16, channels: 4 } });
      }
      const file = join(root, name, `img-${String(i).padStart(2, '0')}.${format}`);
      await (format === 'png' ? image.png() : format === 'jpg' ? image.jpeg({ quality: 95 }) : image.webp({ quality: 95 })).toFile(file);
    }
  }
  writeFileSync(join(root, 'dogs', 'broken.png'), randomBytes(300)); // named like an image, but no image
  writeFileSync(join(root, 'cats', 'notes.txt'), 'not an image type: ignored, as the CLI ignores it\n');
}
