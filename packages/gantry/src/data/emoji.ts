import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ImageSet } from './dataset.js';
import { decodedImageSet } from './decodedSource.js';
import { keptCount, type SourceOptions } from './sourceCommon.js';

/**
 * The emoji sets that ship as npm packages (emoji-datasource-<set>, 16.0): about 3,800
 * 64x64 colour PNGs each with a transparent background, labelled with the Unicode
 * category of emoji.json (skin-tone variants carry their base emoji's category).
 * Licences: the package data is MIT; the Google (Noto) images are Apache 2.0, the Twitter
 * (Twemoji) images CC BY 4.0. Apple's and Facebook's sets are not offered: Apple's images
 * are not licensed for this use, Facebook's have no clear licence.
 */
export type EmojiSet = 'google' | 'twitter';
export const EMOJI_SETS: readonly EmojiSet[] = ['google', 'twitter'];
export const EMOJI_SIDE = 64;

interface EmojiEntry {
  image?: string;
  category?: string;
  sort_order?: number;
  skin_variations?: Record<string, { image?: string }>;
}

/**
 * Loads one emoji set, resized to `opts.shape` if it asks for another size (through the same
 * decode cache as folders). The order interleaves the categories (the first image of each,
 * then the second of each, ...), so any `limit` and any split by position stay balanced
 * while the small categories last.
 */
export async function loadEmoji(set: EmojiSet, opts: SourceOptions = {}): Promise<ImageSet> {
  const source = set === 'google' ? 'emoji' : `emoji:${set}`;
  const pkg = `emoji-datasource-${set}`;
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  } catch {
    throw new UsageError(`the '${pkg}' package that holds the ${set} emoji is not installed; run npm install`);
  }
  const root = dirname(packageJson);
  const imageDir = join(root, 'img', set, String(EMOJI_SIDE));
  const present = new Set(await readdir(imageDir));
  const entries = JSON.parse(readFileSync(join(root, 'emoji.json'), 'utf8')) as EmojiEntry[];

  const byCategory = new Map<string, string[]>();
  const sorted = [...entries].sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0));
  for (const e of sorted) {
    if (!e.category) continue;
    const images = [e.image, ...Object.values(e.skin_variations ?? {}).map((v) => v.image)];
    for (const image of images) {
      if (!image || !present.has(image)) continue;
      if (!byCategory.has(e.category)) byCategory.set(e.category, []);
      byCategory.get(e.category)!.push(image);
    }
  }
  const categories = [...byCategory.keys()].sort();
  const files: string[] = [];
  const labels: number[] = [];
  const longest = Math.max(...categories.map((c) => byCategory.get(c)!.length));
  for (let i = 0; i < longest; i++) {
    categories.forEach((c, label) => {
      const image = byCategory.get(c)![i];
      if (image === undefined) return;
      files.push(image);
      labels.push(label);
    });
  }
  if (files.length === 0) throw new Error(`${imageDir} holds none of the images that ${pkg}/emoji.json lists`);
  const kept = keptCount(files.length, opts.limit);
  const shape = opts.shape ?? { height: EMOJI_SIDE, width: EMOJI_SIDE, channels: 3 };
  const list = { source, root: imageDir, files: files.slice(0, kept), labels: Int32Array.from(labels.slice(0, kept)) };
  return decodedImageSet(list, categories.length, shape, opts);
}

/** The category names of a set, in label order. */
export function emojiCategories(set: EmojiSet = 'google'): string[] {
  const root = dirname(createRequire(import.meta.url).resolve(`emoji-datasource-${set}/package.json`));
  const entries = JSON.parse(readFileSync(join(root, 'emoji.json'), 'utf8')) as EmojiEntry[];
  return [...new Set(entries.map((e) => e.category).filter((c): c is string => Boolean(c)))].sort();
}
