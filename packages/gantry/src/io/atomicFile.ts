import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `path` so that a reader sees either the old file or the complete new one,
 * never a half-written file: write a temp file beside it, fsync, then rename over the target.
 * Parent directories are created. On failure the temp file is removed and the error rethrown.
 */
export async function writeFileAtomic(path: string, chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  // Same directory, so the rename stays on one file system; unique per writer, so two
  // processes writing the same target never share a temp file.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const parts = chunks instanceof Uint8Array ? [chunks] : chunks;
  try {
    const handle = await open(tmp, 'w');
    try {
      for (const part of parts) await handle.writeFile(part); // writeFile loops until every byte is written
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
