import { packRun, unpackRun, type UnpackedRun } from 'gantry-core/run/archive.js';
import type { RunStore } from 'gantry-core/run/store.js';

/**
 * A run in and out of the page as one zip file (the format and its checks are the core's
 * run/archive.ts): the same zip that `unzip` turns into a folder `gantry train --resume --out DIR`
 * continues, and that `zip -r` of a CLI run folder makes for the page.
 */

/** Offers `blob` to the user as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // the download has its own reference by now; a later revoke lets a slow browser start it first
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads the run in `store` as NAME.zip, its files in the folder NAME/. */
export async function downloadRun(store: RunStore, name: string): Promise<void> {
  const zip = await packRun(store, name);
  saveBlob(new Blob([zip.slice()], { type: 'application/zip' }), `${name}.zip`);
}

/**
 * Checks the run zip the user chose and writes it into `store` (which must be empty); a zip that
 * is unsafe or not a run is refused with a one-line UsageError and nothing is written. A zip of a
 * folder's contents (no top folder) takes its name from the file.
 */
export async function readRunZip(file: File, store: RunStore): Promise<UnpackedRun> {
  const fromFile = file.name.replace(/\.zip$/i, '').replace(/[/\\:\0]/g, '-');
  return unpackRun(new Uint8Array(await file.arrayBuffer()), store, fromFile === '' || fromFile === '.' || fromFile === '..' ? 'run' : fromFile);
}
