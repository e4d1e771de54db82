import { readdirSync } from 'node:fs';
import { knownClassNames } from 'gantry-core/export/generatorFiles.js';
import { emojiCategories } from '../data/emoji.js';

/** A folder source's class names: its subfolders, in the code-unit order the loader numbers them in. */
function folderClasses(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return [];
  }
}

/**
 * Class names from what the data spec names: the emoji categories and a folder's subfolders
 * (while it still exists), read here; the digits and Fashion-MNIST's labels come from the core
 * (knownClassNames), as does "class K" where none fit.
 */
export function classNames(data: string, count: number): string[] {
  let names: string[] = [];
  if (data === 'emoji' || data === 'emoji:google' || data === 'emoji:twitter') names = emojiCategories(data === 'emoji:twitter' ? 'twitter' : 'google');
  else if (data.startsWith('folder:')) names = folderClasses(data.slice('folder:'.length));
  return names.length === count ? names : knownClassNames(data, count);
}
