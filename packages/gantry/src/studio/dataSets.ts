import type { ImageShape } from 'gantry-core/data/dataset.js';
import { loadDataset } from '../data/load.js';
import { shapeText } from '../data/sourceCommon.js';
import { classNames } from '../export/exportManifest.js';
import { DATA_FILE_EXTENSION, type StudioDataIndex, type StudioSetEntry } from 'gantry-core/data/gdsFormat.js';
import { concatChunks, encodeDataFile } from 'gantry-core/data/gdsWrite.js';

/**
 * The image sets the studio page offers, each as the CLI's `loadDataset(spec)` returns it with
 * the default image options, at the shape its presets train on: 28x28x1 for the MNIST sets
 * (dcgan-mnist and its kin), 64x64x3 for emoji (dcgan64, sngan64, cgan-emoji).
 */
export interface StudioSet {
  /** The name in URLs and files: `data/<name>.gds`. */
  name: string;
  title: string;
  /** The data spec, as `gantry train --data` takes it. */
  spec: string;
  shape: ImageShape;
}

export const STUDIO_SETS: readonly StudioSet[] = [
  { name: 'mnist', title: 'MNIST handwritten digits', spec: 'mnist', shape: { height: 28, width: 28, channels: 1 } },
  { name: 'fashion-mnist', title: 'Fashion-MNIST clothing', spec: 'fashion-mnist', shape: { height: 28, width: 28, channels: 1 } },
  { name: 'emoji-google', title: 'Emoji (Google Noto)', spec: 'emoji', shape: { height: 64, width: 64, channels: 3 } },
  { name: 'emoji-twitter', title: 'Emoji (Twitter Twemoji)', spec: 'emoji:twitter', shape: { height: 64, width: 64, channels: 3 } },
];

export interface BuiltSet {
  entry: StudioSetEntry;
  /** The whole .gds file. */
  file: Uint8Array;
}

/** The file name of a set under data/. */
export const dataFileName = (set: StudioSet) => `${set.name}${DATA_FILE_EXTENSION}`;

/** Loads one set through the CLI's loader and encodes it; a warning (a skipped file) goes to `warn`. */
export async function buildStudioSet(set: StudioSet, warn: (line: string) => void): Promise<BuiltSet> {
  const images = await loadDataset(set.spec, { shape: set.shape, warn });
  if (images.height !== set.shape.height || images.width !== set.shape.width || images.channels !== set.shape.channels) {
    throw new Error(`${set.spec} loaded as ${shapeText(images)}, not ${shapeText(set.shape)}`);
  }
  const names = images.numClasses ? classNames(set.spec, images.numClasses) : [];
  const file = concatChunks(encodeDataFile(images, names.length > 0 ? names : undefined));
  return {
    entry: {
      name: set.name,
      title: set.title,
      file: dataFileName(set),
      source: set.spec,
      count: images.count,
      shape: [images.height, images.width, images.channels],
      classes: images.numClasses ?? 0,
      classNames: names,
      bytes: file.length,
    },
    file,
  };
}

export function dataIndex(entries: StudioSetEntry[]): StudioDataIndex {
  return { format: 'gantry-studio-data', formatVersion: 1, sets: entries };
}

/**
 * Each set built at most once, on first request (the emoji are thousands of PNGs to decode the
 * first time; the decode cache makes later servers quick), and kept in memory. A build that
 * fails is forgotten, so the next request tries again.
 */
export class StudioSetCache {
  private readonly built = new Map<string, Promise<BuiltSet>>();

  constructor(private readonly warn: (line: string) => void = (line) => console.error(line)) {}

  get(name: string): Promise<BuiltSet> | undefined {
    const set = STUDIO_SETS.find((s) => s.name === name);
    if (!set) return undefined;
    let p = this.built.get(name);
    if (!p) {
      p = buildStudioSet(set, this.warn);
      this.built.set(name, p);
      p.catch(() => this.built.delete(name));
    }
    return p;
  }

  /** Every set, built one after another (two emoji decodes at once would only contend for the CPU). */
  async all(): Promise<BuiltSet[]> {
    const out: BuiltSet[] = [];
    for (const set of STUDIO_SETS) out.push(await this.get(set.name)!);
    return out;
  }
}
