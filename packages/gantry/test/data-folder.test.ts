import assert from 'node:assert/strict';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { loadDataset } from '../src/data/load.js';
import type { SourceOptions } from '../src/data/sourceCommon.js';
import { assertUsageError, tempDir } from './dataFixtures.js';

type Rgb = [number, number, number];

/** A solid-colour image file (format from the extension). */
async function solidImage(path: string, width: number, height: number, rgb: Rgb): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).toFile(path);
}

/** Loads a folder with a private cache, collecting warnings instead of printing them. */
async function load(dir: string, cacheDir: string, opts: SourceOptions = {}): Promise<{ set: ImageSet; warnings: string[] }> {
  const warnings: string[] = [];
  const set = await loadDataset(`folder:${dir}`, { cacheDir, warn: (line) => warnings.push(line), ...opts });
  return { set, warnings };
}

/** Pixel (y, x) of image i as bytes. */
function pixel(set: ImageSet, i: number, y: number, x: number): number[] {
  const at = ((i * set.height + y) * set.width + x) * set.channels;
  return Array.from(set.bytes!.subarray(at, at + set.channels));
}

function near(actual: number[], expected: number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, k) => assert.ok(Math.abs(v - expected[k]!) <= tolerance, `${what}: got [${actual}], expected [${expected}] within ${tolerance}`));
}

test('a folder of class subfolders loads resized, grayscale, labelled by subfolder, in sorted order', async () => {
  const dir = await tempDir();
  await solidImage(join(dir, 'dogs', 'b.png'), 20, 10, [255, 255, 255]);
  await solidImage(join(dir, 'cats', 'z.png'), 7, 7, [0, 0, 0]);
  await solidImage(join(dir, 'cats', 'nested', 'a.jpg'), 16, 16, [255, 255, 255]);
  await solidImage(join(dir, 'dogs', 'a.webp'), 9, 30, [0, 0, 0]);
  await writeFile(join(dir, 'cats', 'notes.txt'), 'not an image');

  const { set } = await load(dir, await tempDir(), { shape: { height: 8, width: 6, channels: 1 } });
  assert.deepEqual([set.count, set.height, set.width, set.channels], [4, 8, 6, 1]);
  assert.ok(set.bytes instanceof Uint8Array && set.bytes.length === 4 * 8 * 6, 'pixels are kept as bytes');
  assert.equal(set.pixels01.length, 4 * 8 * 6);
  assert.equal(set.numClasses, 2);
  // Sorted: cats/nested/a.jpg, cats/z.png, dogs/a.webp, dogs/b.png
  assert.deepEqual(set.labels, Int32Array.from([0, 0, 1, 1]));
  const mean = (i: number) => set.pixels01.subarray(i * 48, (i + 1) * 48).reduce((a, b) => a + b, 0) / 48;
  assert.deepEqual([0, 1, 2, 3].map((i) => Math.round(mean(i))), [1, 0, 0, 1]);
});

test('RGB shape gives 3 channels; a flat folder has no labels; limit keeps the first images', async () => {
  const dir = await tempDir();
  const cache = await tempDir();
  await solidImage(join(dir, '1.png'), 5, 5, [255, 0, 0]);
  await solidImage(join(dir, '2.png'), 5, 5, [0, 0, 255]);
  const { set } = await load(dir, cache, { shape: { height: 4, width: 4, channels: 3 } });
  assert.deepEqual([set.count, set.channels, set.labels], [2, 3, undefined]);
  assert.deepEqual(Array.from(set.pixels01.subarray(0, 3)), [1, 0, 0]);
  assert.deepEqual(Array.from(set.pixels01.subarray(48, 51)), [0, 0, 1]);
  const { set: first } = await load(dir, cache, { shape: { height: 4, width: 4, channels: 3 }, limit: 1 });
  assert.equal(first.count, 1);
  // Without a shape, the first image's size and colour decide.
  const { set: natural } = await load(dir, cache);
  assert.deepEqual([natural.height, natural.width, natural.channels], [5, 5, 3]);
});

test('every format and colour mode decodes to the same sRGB (or grey) bytes', async () => {
  const dir = await tempDir();
  const orange: Rgb = [240, 120, 30];
  const raw = (values: number[]) => Buffer.from(Array.from({ length: 6 * 6 }, () => values).flat());
  const rgb = () => sharp(raw(orange), { raw: { width: 6, height: 6, channels: 3 } });
  await rgb().png().toFile(join(dir, 'a-rgb.png'));
  // RGBA: the left half transparent (becomes the background), the right half opaque orange
  const rgba = Buffer.from(Array.from({ length: 36 }, (_, p) => (p % 6 < 3 ? [0, 0, 0, 0] : [...orange, 255])).flat());
  await sharp(rgba, { raw: { width: 6, height: 6, channels: 4 } }).png().toFile(join(dir, 'b-rgba.png'));
  await sharp(raw([90]), { raw: { width: 6, height: 6, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, 'c-grey.png'));
  await rgb().png({ palette: true, colours: 4 }).toFile(join(dir, 'd-palette.png'));
  await rgb().toColourspace('rgb16').png().toFile(join(dir, 'e-16bit.png'));
  await rgb().toColourspace('cmyk').jpeg({ quality: 100 }).toFile(join(dir, 'f-cmyk.jpg'));
  await rgb().webp({ lossless: true }).toFile(join(dir, 'g.webp'));
  await rgb().gif().toFile(join(dir, 'h.gif'));
  await rgb().avif({ lossless: true }).toFile(join(dir, 'i.avif'));
  await rgb().tiff().toFile(join(dir, 'j.tiff'));

  // the fixtures are what their names say
  assert.equal((await sharp(join(dir, 'b-rgba.png')).metadata()).channels, 4);
  assert.equal((await sharp(join(dir, 'c-grey.png')).metadata()).channels, 1);
  assert.equal((await sharp(join(dir, 'd-palette.png')).metadata()).isPalette, true);
  assert.equal((await sharp(join(dir, 'e-16bit.png')).metadata()).depth, 'ushort');
  assert.equal((await sharp(join(dir, 'f-cmyk.jpg')).metadata()).space, 'cmyk');

  const cache = await tempDir();
  const { set, warnings } = await load(dir, cache, { shape: { height: 6, width: 6, channels: 3 } });
  assert.deepEqual(warnings, []);
  assert.equal(set.count, 10);
  const names = ['rgb', 'rgba', 'grey', 'palette', '16-bit', 'cmyk', 'webp', 'gif', 'avif', 'tiff'];
  const expected: Record<string, number[]> = { grey: [90, 90, 90] };
  // CMYK: the round trip through the CMYK profile moves out-of-gamut blue a little
  const tolerance: Record<string, number> = { palette: 24, gif: 24, cmyk: 30, avif: 6 };
  names.forEach((name, i) => near(pixel(set, i, 3, 4), expected[name] ?? orange, tolerance[name] ?? 2, name));
  near(pixel(set, 1, 3, 0), [255, 255, 255], 0, 'rgba: transparent pixels composited onto white');

  const onBlack = (await load(dir, cache, { shape: { height: 6, width: 6, channels: 3 }, image: { background: '#000' } })).set;
  near(pixel(onBlack, 1, 3, 0), [0, 0, 0], 0, 'rgba on --background #000');
  const grey = (await load(dir, cache, { shape: { height: 6, width: 6, channels: 1 } })).set;
  assert.equal(grey.channels, 1);
  near(pixel(grey, 2, 0, 0), [90], 1, 'grey stays grey');
  // libvips' luminance (through CIE L*) gives 154 for this orange; Rec. 709 weights on the bytes would give 139
  near(pixel(grey, 0, 0, 0), [154], 3, 'colour to one channel');
});

test('mixed sizes: crop cuts the centre, pad letterboxes with the background, stretch keeps everything', async () => {
  const dir = await tempDir();
  // 16x8: a green left quarter, the rest red; and a tall 3x9 blue image
  const wide = Buffer.from(Array.from({ length: 16 * 8 }, (_, p) => (p % 16 < 4 ? [0, 255, 0] : [255, 0, 0])).flat());
  await sharp(wide, { raw: { width: 16, height: 8, channels: 3 } }).png().toFile(join(dir, 'a-wide.png'));
  await solidImage(join(dir, 'b-tall.png'), 3, 9, [0, 0, 255]);
  const cache = await tempDir();
  const shape = { height: 4, width: 4, channels: 3 };
  const crop = (await load(dir, cache, { shape })).set;
  const pad = (await load(dir, cache, { shape, image: { resize: 'pad' } })).set;
  const stretch = (await load(dir, cache, { shape, image: { resize: 'stretch' } })).set;
  for (const set of [crop, pad, stretch]) assert.deepEqual([set.count, set.height, set.width], [2, 4, 4]);
  near(pixel(crop, 0, 0, 0), [255, 0, 0], 20, 'crop: the green edge is cut away');
  near(pixel(crop, 1, 0, 0), [0, 0, 255], 0, 'crop: tall image fills the square');
  near(pixel(stretch, 0, 2, 0), [0, 255, 0], 20, 'stretch: the green edge stays');
  near(pixel(stretch, 0, 0, 0), [0, 255, 0], 20, 'stretch: no border');
  near(pixel(pad, 0, 0, 2), [255, 255, 255], 0, 'pad: white band above the wide image');
  near(pixel(pad, 0, 2, 2), [255, 0, 0], 8, 'pad: the image in the middle');
  near(pixel(pad, 1, 2, 0), [255, 255, 255], 0, 'pad: white band beside the tall image');
});

test('an undecodable file is skipped with one warning line; --strict refuses; nothing decodable or an empty folder is an error', async () => {
  const dir = await tempDir();
  const cache = await tempDir();
  await assertUsageError(() => loadDataset(`folder:${join(dir, 'missing')}`), /folder:.*missing: folder not found/);

  const empty = join(dir, 'empty');
  await mkdir(join(empty, 'sub'), { recursive: true });
  await writeFile(join(empty, 'readme.txt'), 'nothing here');
  await assertUsageError(() => load(empty, cache, { shape: { height: 4, width: 4, channels: 1 } }), /holds no images/);

  const mixed = join(dir, 'mixed');
  await solidImage(join(mixed, 'a', 'good.png'), 4, 4, [9, 9, 9]);
  await mkdir(join(mixed, 'b'));
  await writeFile(join(mixed, 'b', 'broken.png'), Buffer.from('definitely not a png, just bytes'));
  await writeFile(join(mixed, 'b', 'truncated.jpg'), (await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).jpeg().toBuffer()).subarray(0, 40));
  await solidImage(join(mixed, 'b', 'ok.webp'), 4, 4, [200, 9, 9]);
  const shape = { height: 4, width: 4, channels: 1 };
  for (const round of ['decoded', 'cached']) {
    const { set, warnings } = await load(mixed, cache, { shape });
    assert.equal(set.count, 2, round);
    assert.deepEqual(set.labels, Int32Array.from([0, 1]), `${round}: labels follow the kept images`);
    assert.equal(set.numClasses, 2);
    assert.equal(warnings.length, 1, `${round}: one warning line`);
    assert.match(warnings[0]!, /skipped 2 of 4 image files that cannot be decoded: b\/broken\.png, b\/truncated\.jpg$/);
  }
  await assertUsageError(() => load(mixed, cache, { shape, image: { strict: true } }), /2 of 4 image files cannot be decoded \(b\/broken\.png, b\/truncated\.jpg\).*drop --strict/);

  const allBad = join(dir, 'allbad');
  await mkdir(allBad);
  await writeFile(join(allBad, 'a.png'), 'not a png at all');
  await assertUsageError(() => load(allBad, cache, { shape }), /none of its 1 image files could be decoded \(a\.png\)/);
  await assertUsageError(() => load(allBad, cache), /none of its 1 image files could be decoded \(a\.png/);
});

test('the decode cache is reused, and goes stale when a file, the options or the shape change', async () => {
  const dir = await tempDir();
  const cache = await tempDir();
  const file = join(dir, 'x.png');
  const solidPng = (rgb: Rgb) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png({ compressionLevel: 0 }).toBuffer();
  await writeFile(file, await solidPng([255, 0, 0]));
  await solidImage(join(dir, 'y.png'), 8, 8, [0, 255, 0]);
  const shape = { height: 4, width: 4, channels: 3 };
  const first = (await load(dir, cache, { shape })).set;
  assert.deepEqual(pixel(first, 0, 0, 0), [255, 0, 0]);
  assert.equal((await readdir(join(cache, 'images'))).filter((f) => f.endsWith('.bin')).length, 1);

  // Same size and mtime but other pixels: the cache is trusted (this shows it is read, not re-decoded).
  const before = await stat(file);
  const blue = await solidPng([0, 0, 255]);
  assert.equal(blue.length, before.size, 'uncompressed fixtures have the same size');
  await writeFile(file, blue);
  await utimes(file, before.atime, before.mtime);
  assert.deepEqual(pixel((await load(dir, cache, { shape })).set, 0, 0, 0), [255, 0, 0], 'cached bytes');

  // A new mtime invalidates it; the old cache file is replaced, not kept beside the new one.
  await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
  assert.deepEqual(pixel((await load(dir, cache, { shape })).set, 0, 0, 0), [0, 0, 255], 'decoded again after the change');
  assert.equal((await readdir(join(cache, 'images'))).filter((f) => f.endsWith('.bin')).length, 1);

  // Another shape or background is another cache entry with other bytes.
  assert.equal((await load(dir, cache, { shape: { ...shape, channels: 1 } })).set.channels, 1);
  await solidImage(join(dir, 'z.png'), 8, 8, [1, 2, 3]);
  assert.equal((await load(dir, cache, { shape })).set.count, 3, 'an added file is seen');
});
