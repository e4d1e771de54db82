// Where oneDNN is, as the native backend's build finds it (its scripts/find-onednn.mjs), and the
// folder of an installed package.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface OnednnLocation { how?: string; prefix?: string; version?: string | null; error?: string }

/** The folder of an installed package, or null. */
export function packageDir(name: string): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/** oneDNN as the backend's build would find it; an error when the backend package is missing. */
export async function findOnednn(): Promise<OnednnLocation> {
  const backendDir = packageDir('tfjs-backend-onednn');
  if (!backendDir) return { error: 'the tfjs-backend-onednn package is not installed, so oneDNN was not looked for' };
  try {
    const mod = (await import(pathToFileURL(path.join(backendDir, 'scripts', 'find-onednn.mjs')).href)) as { findOnednn(): OnednnLocation };
    return mod.findOnednn();
  } catch (e) {
    return { error: `the backend's find-onednn script did not run (${(e as Error).message.split('\n')[0]})` };
  }
}
