import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One training process per run directory: `DIR/train.lock` is created exclusively and
 * holds the owner's pid. A lock whose process no longer exists (a killed run) is stale and
 * is taken over; a live one is refused.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    process.once('exit', this.onExit);
  }

  static acquire(runDir: string): RunLock {
    const path = join(runDir, 'train.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
        writeSync(fd, JSON.stringify(info) + '\n');
        closeSync(fd);
        return new RunLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readLock(path);
      if (holder && holder.host === hostname() && processAlive(holder.pid)) {
        throw new UsageError(`run directory ${runDir} is in use by training process ${holder.pid} (started ${holder.startedAt}); wait for it to finish or stop it first`);
      }
      if (holder && holder.host !== hostname()) {
        throw new UsageError(`run directory ${runDir} is locked by a process on host ${holder.host}; if that run is gone, delete ${path}`);
      }
      // stale: the process that held it is gone
      rmSync(path, { force: true });
    }
    throw new UsageError(`could not lock run directory ${runDir}; another process keeps taking it`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    try {
      const holder = readLock(this.path);
      if (holder?.pid === process.pid) rmSync(this.path, { force: true });
    } catch {
      // nothing to release
    }
  }
}

/** The lock file's owner, or null when it is missing, cut short or not a lock. */
export function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    // a lock file cut short by a crash between create and write
    return null;
  }
}

/** Whether a process of this id exists on this machine (EPERM: it exists, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
