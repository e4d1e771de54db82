import { readdirSync } from 'node:fs';
import type { TrainConfig } from '../config.js';
import { emojiCategories } from '../data/emoji.js';
import type { WeightsFile } from './layersModelFiles.js';

/**
 * gantry.json: what a client of an export needs and must not guess. The web package reads the
 * same fields (packages/web/src/generator/exportManifest.ts); `formatVersion` changes when a field's
 * meaning does.
 */
export interface ExportManifest {
  format: 'gantry-generator';
  formatVersion: 1;
  gantryVersion: string;
  /** The TF.js LayersModel, relative to the export folder. */
  model: string;
  /** The model's inputs, in order: `z` float32 [batch, latentDim] drawn from N(0, I); `labels` int32 [batch, 1]. */
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int32'; meaning: string }[];
  latentDim: number;
  image: { height: number; width: number; channels: number };
  /** G's output range, and how a pixel in it becomes a byte. */
  output: { range: [number, number]; toUnit: string; toByte: string };
  classes: { count: number; names: string[] } | null;
  preset: string | null;
  data: string;
  step: number;
  checkpoint: string;
  /** Which of the run's generators: its EMA of the weights, or the trained weights. */
  weights: 'ema' | 'raw';
  bestFid: { step: number; value: number } | null;
  /** Every weights file, relative to the export folder, with its size and SHA-256. */
  files: WeightsFile[];
}

const fashionMnistNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** A folder source's class names: its subfolders, in the code-unit order the loader numbers them in. */
function folderClasses(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return [];
  }
}

/**
 * Class names from what the data spec names: digits, Fashion-MNIST's labels, the emoji
 * categories, a folder's subfolders (while it still exists); "class K" where none fit.
 */
export function classNames(data: string, count: number): string[] {
  let names: string[] = [];
  if (data === 'mnist') names = Array.from({ length: 10 }, (_, i) => String(i));
  else if (data === 'fashion-mnist') names = fashionMnistNames.slice();
  else if (data === 'emoji' || data === 'emoji:google' || data === 'emoji:twitter') names = emojiCategories(data === 'emoji:twitter' ? 'twitter' : 'google');
  else if (data.startsWith('folder:')) names = folderClasses(data.slice('folder:'.length));
  return names.length === count ? names : Array.from({ length: count }, (_, i) => `class ${i}`);
}

/** The pixel mapping of a run's output range, written out so that a client need not read Gantry's code. */
export function outputMapping(pixelRange: TrainConfig['pixelRange']): ExportManifest['output'] {
  return pixelRange === '-1,1'
    ? { range: [-1, 1], toUnit: 'clip((x + 1) * 0.5, 0, 1)', toByte: 'round(255 * unit)' }
    : { range: [0, 1], toUnit: 'clip(x, 0, 1)', toByte: 'round(255 * unit)' };
}
