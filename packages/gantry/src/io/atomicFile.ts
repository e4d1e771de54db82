import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { makeDirectory } from './directories.js';
import { processAlive } from '../runFolder/lock.js';

/**
 * Every atomic write here (a file, or a whole folder such as an export) is made under a temporary
 * name beside its target, `.NAME.KIND-PID@HOST-RANDOM`, then renamed over NAME. A writer killed
 * with SIGKILL leaves that temporary behind; the next write of the same target removes it once
 * the process that made it is gone (`removeStaleTemporaries`). The PID and host in the name are
 * what makes that safe: a temporary whose writer still runs, or that was made on another machine
 * sharing the folder (where the PID cannot be looked up), is never touched.
 */

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
  const tmp = temporaryPathFor(path);
  removeStaleTemporaries(path);
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

/** A temporary name beside `target`, unique to this process and call; `kind` says what writes it (`tmp`, `export`). */
export function temporaryPathFor(target: string, kind = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.${kind}-${process.pid}@${hostname()}-${randomBytes(4).toString('hex')}`);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The writer of a temporary beside the target named `name`, or null when `entry` is not one. Besides
 * today's `.NAME.KIND-PID@HOST-RANDOM` (with `.old` for a replaced export moved aside), the names of
 * earlier versions, which carry no host (`.NAME.tmp-PID-RANDOM`, `.NAME.PID.HEX.tmp`,
 * `.NAME.export-PID-RANDOM`), are read as this machine's.
 */
export function temporaryWriter(name: string, entry: string): { pid: number; host: string | null; movedAside: boolean } | null {
  const prefix = `^\\.${escapeRegExp(name)}\\.`;
  const current = new RegExp(`${prefix}[a-z]+-(\\d+)@(.+)-[0-9a-f]+(\\.old)?$`).exec(entry);
  if (current) return { pid: Number(current[1]), host: current[2], movedAside: Boolean(current[3]) };
  const earlier = new RegExp(`${prefix}(?:(?:tmp|export)-(\\d+)-[0-9a-z]+(\\.old)?|(\\d+)\\.[0-9a-f]+\\.tmp)$`).exec(entry);
  if (earlier) return { pid: Number(earlier[1] ?? earlier[3]), host: null, movedAside: Boolean(earlier[2]) };
  return null;
}

/**
 * Removes the temporaries that writers of `target` left beside it and that will never be finished:
 * those of processes on this machine that no longer run. A live writer's temporary, and any made on
 * another host, stay. A replaced folder that a killed writer had moved aside (`.old`) while the target
 * is missing is the last complete version: it is moved back instead of removed. Best effort: a
 * temporary that cannot be removed is left for the next write.
 */
export function removeStaleTemporaries(target: string): void {
  const dir = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const here = hostname();
  for (const entry of entries) {
    const writer = temporaryWriter(name, entry);
    if (!writer || (writer.host !== null && writer.host !== here)) continue;
    if (writer.pid === process.pid || processAlive(writer.pid)) continue;
    const path = join(dir, entry);
    try {
      if (writer.movedAside && !existsSync(target)) renameSync(path, target);
      else rmSync(path, { recursive: true, force: true });
    } catch {
      // left for the next write of this target
    }
  }
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
  removeStaleTemporaries(target);
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
