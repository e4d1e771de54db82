import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { decodedImageSet } from './decodedSource.js';
import { keptCount, type SourceOptions } from './sourceCommon.js';
import { permutation } from 'gantry-core/util/random.js';

/** Seeds the fixed order of the emoji within each category (any constant: only that it never changes). */
const ORDER_SEED = 0x656d6a;

/**
 * The emoji sets that ship as npm packages (emoji-datasource-<set>, 16.0): about 3,800
 * 64x64 colour PNGs each with a transparent background, labelled with the Unicode
 * category of emoji.json (skin-tone variants carry their base emoji's category).
 * Licences: the package data is MIT; the Google (Noto) images are Apache 2.0, the Twitter
 * (Twemoji) images CC BY 4.0. Apple's and Facebook's sets are not offered: Apple's images
 * are not licensed for this use, Facebook's have no clear licence.
 */
import { EMOJI_SETS, type EmojiSet } from 'gantry-core/data/spec.js';

export { EMOJI_SETS, type EmojiSet };
export const EMOJI_SIDE = 64;

interface EmojiEntry {
  image?: string;
  category?: string;
  sort_order?: number;
  skin_variations?: Record<string, { image?: string }>;
}

/**
 * Loads one emoji set, resized to `opts.shape` if it asks for another size (through the same
 * decode cache as folders), in a fixed order that keeps the categories in proportion.
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

  // An emoji and its skin-tone variants form a group, kept together so that near-duplicates
  // never straddle a split.
  const byCategory = new Map<string, string[][]>();
  const sorted = [...entries].sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0));
  for (const e of sorted) {
    if (!e.category) continue;
    const group = [e.image, ...Object.values(e.skin_variations ?? {}).map((v) => v.image)].filter((f): f is string => f !== undefined && present.has(f));
    if (group.length === 0) continue;
    if (!byCategory.has(e.category)) byCategory.set(e.category, []);
    byCategory.get(e.category)!.push(group);
  }
  const categories = [...byCategory.keys()].sort();
  // Each category's groups in a fixed shuffled order (sort order would put, say, every
  // subdivision flag last), its images then spread evenly over the whole order (image i of a
  // category of n at position (i + 1/2) / n): every prefix and every suffix holds the
  // categories in proportion, so a `limit` and the classifier's held-out tail are fair samples.
  const placed = categories.flatMap((c, label) => {
    const groups = byCategory.get(c)!;
    const images = Array.from(permutation(groups.length, ORDER_SEED, label, 0), (g) => groups[g]!).flat();
    return images.map((image, i) => ({ image, label, at: (i + 0.5) / images.length }));
  });
  placed.sort((a, b) => a.at - b.at || a.label - b.label);
  const files = placed.map((p) => p.image);
  const labels = placed.map((p) => p.label);
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
