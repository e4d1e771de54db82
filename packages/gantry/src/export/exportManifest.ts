import { readdirSync } from 'node:fs';
import type { TrainConfig } from 'gantry-core/config.js';
import { emojiCategories } from '../data/emoji.js';
import type { ExportManifest } from 'gantry-core/export/format.js';

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
