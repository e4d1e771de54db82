import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { makeDirectory } from './directories.js';

/**
 * Writes `chunks` to `path` so that a reader sees either the old file or the complete new one,
 * never a half-written file: write a temp file beside it, fsync, then rename over the target.
 * Parent directories are created. On failure the temp file is removed and the error rethrown.
 */
export async function writeFileAtomic(path: string, chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  makeDirectory(dir, 'folder');
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

/** A temporary name beside `target`, unique to this process and call. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/** Flush a directory entry to disk, so that a rename inside it survives a crash. */
export function fsyncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems do not allow fsync on directories; the rename is still atomic
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Write a file so that `target` is either its old content or the complete new content,
 * never a partial one: write a temporary file, fsync it, rename it over the target.
 */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  makeDirectory(dirname(target), 'folder');
  const tmp = temporaryPathFor(target);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.length) {
      const n = writeSync(fd, bytes, written, bytes.length - written);
      // a file system that accepts nothing would otherwise keep this loop going forever
      if (n <= 0) throw Object.assign(new Error(`no bytes written to ${tmp}`), { code: 'EIO' });
      written += n;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
    fsyncDirectory(dirname(target));
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
