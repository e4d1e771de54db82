import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One training process per run directory: `DIR/train.lock` holds the owner's pid, host and start
 * time. It appears whole or not at all (written to a private file first, then hard-linked into
 * place, which fails when a lock exists), so a reader never mistakes a lock being written for a
 * broken one. A lock whose process no longer exists (a killed run) is stale and is taken over; a
 * live one is refused. Taking over is guarded too: of several processes that find the same stale
 * lock at once, exactly one gets the run.
 *
 * A process on another machine (run directories on shared storage) cannot be looked up, so the
 * holder refreshes the lock's modification time every `GANTRY_LOCK_HEARTBEAT_MS` (10 s); a lock
 * from another host counts as abandoned once it has not been refreshed for six heartbeats.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(readonly path: string) {
    process.once('exit', this.onExit);
    this.heartbeat = setInterval(() => this.refresh(), heartbeatMs());
    this.heartbeat.unref();
  }

  /** Marks the lock as still held (its modification time), if it is still this process's. */
  private refresh(): void {
    try {
      const holder = readLock(this.path);
      if (holder?.pid === process.pid && holder.host === hostname()) {
        const now = new Date();
        utimesSync(this.path, now, now);
      }
    } catch {
      // removed meanwhile: nothing to refresh
    }
  }

  static acquire(runDir: string): RunLock {
    const path = join(runDir, 'train.lock');
    const body = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies LockInfo) + '\n';
    for (let attempt = 0; attempt < 20; attempt++) {
      if (createWhole(path, body)) return new RunLock(path);
      const seen = readRaw(path);
      const holder = parseLock(seen);
      if (holder && holderActive(holder, path)) {
        if (holder.host === hostname()) {
          throw new UsageError(`run directory ${runDir} is in use by training process ${holder.pid} (started ${holder.startedAt}); wait for it to finish or stop it first`);
        }
        const ago = Math.round((lockAgeMs(path) ?? 0) / 1000);
        throw new UsageError(`run directory ${runDir} is in use by process ${holder.pid} on host ${holder.host} (lock refreshed ${ago} s ago); wait for it to finish, or delete ${path} if that machine is gone`);
      }
      // stale (its process is gone, or its host stopped refreshing it) or unreadable: remove it,
      // unless someone else got there first
      removeIfUnchanged(path, seen);
    }
    throw new UsageError(`could not lock run directory ${runDir}; another process keeps taking it`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    process.removeListener('exit', this.onExit);
    try {
      const holder = readLock(this.path);
      if (holder?.pid === process.pid) rmSync(this.path, { force: true });
    } catch {
      // nothing to release
    }
  }
}

/**
 * Whether the lock at `path` (held by `holder`) still belongs to a running trainer: a live
 * process here, or one on another host that refreshed it within six heartbeats.
 */
export function holderActive(holder: LockInfo, path: string): boolean {
  return holder.host === hostname() ? processAlive(holder.pid) : !abandoned(path);
}

function heartbeatMs(): number {
  const v = Number(process.env.GANTRY_LOCK_HEARTBEAT_MS);
  return Number.isFinite(v) && v > 0 ? v : 10_000;
}

/** Milliseconds since the lock was written or refreshed; null when there is none. */
function lockAgeMs(path: string): number | null {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function abandoned(path: string): boolean {
  const age = lockAgeMs(path);
  return age === null || age > 6 * heartbeatMs();
}

/** The lock file's owner, or null when it is missing, cut short or not a lock. */
export function readLock(path: string): LockInfo | null {
  return parseLock(readRaw(path));
}

function parseLock(text: string | null): LockInfo | null {
  if (text === null) return null;
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info?.pid === 'number' ? info : null;
  } catch {
    // not a lock Gantry wrote whole (older versions created it first and wrote it after)
    return null;
  }
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Create `path` holding `body`, whole, unless it exists. */
function createWhole(path: string, body: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, body, { flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // a file system without hard links: create exclusively, then write (the old way)
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, body);
      closeSync(fd);
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Remove the lock at `path` if it still holds `seen`: under a guard folder, so that two processes
 * that found the same stale lock cannot both remove it (the second would remove the first's new
 * lock). A guard left by a process that died holding it is cleared after a few seconds.
 */
function removeIfUnchanged(path: string, seen: string | null): void {
  const guard = `${path}.takeover`;
  try {
    mkdirSync(guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(guard).mtimeMs > 5000) rmSync(guard, { recursive: true, force: true });
    } catch {
      // gone already
    }
    // another process is taking over: let it finish, then look again
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    return;
  }
  try {
    if (seen !== null && readRaw(path) === seen) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { recursive: true, force: true });
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
