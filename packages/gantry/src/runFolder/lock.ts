import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { readSetting } from 'tfjs-backend-onednn/environment';
import { UsageError } from 'gantry-core/errors.js';
import { runFiles } from './files.js';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/** A lock that was not taken: who holds it, and (for a holder on another host) when it last said so. */
export interface LockHeld {
  holder: LockInfo;
  path: string;
  refreshedMsAgo: number;
}

/**
 * One training process per run directory: `DIR/train.lock` holds the owner's pid, host and start
 * time. It appears whole or not at all (written to a private file first, then hard-linked into
 * place, which fails when a lock exists), so a reader never mistakes a lock being written for a
 * broken one. A lock whose process no longer exists (a killed run) is stale and is taken over; a
 * live one is refused. Taking over is guarded too: of several processes that find the same stale
 * lock at once, exactly one gets the run.
 *
 * A lock held by the taker's own parent process is handed over: the queue worker locks a run
 * before it starts the trainer for it (so that of two workers given the same run, exactly one
 * starts a trainer), and the trainer, its child, then owns the lock. Nobody else can take a lock
 * while its holder lives, so the run is never unlocked between the two.
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
      if (this.ownedHere()) {
        const now = new Date();
        utimesSync(this.path, now, now);
      }
    } catch {
      // removed meanwhile: nothing to refresh
    }
  }

  /** Whether the lock file still names this process (a child it was handed to owns it after). */
  ownedHere(): boolean {
    const holder = readLock(this.path);
    return holder?.pid === process.pid && holder.host === hostname();
  }

  /** Lock `runDir`, or fail with a line that says who has it. */
  static acquire(runDir: string): RunLock {
    const got = RunLock.tryAcquire(runDir);
    if (got instanceof RunLock) return got;
    const { holder, path, refreshedMsAgo } = got;
    if (holder.host === hostname()) {
      throw new UsageError(`run directory ${runDir} is in use by training process ${holder.pid} (started ${holder.startedAt}); wait for it to finish or stop it first`);
    }
    throw new UsageError(`run directory ${runDir} is in use by process ${holder.pid} on host ${holder.host} (lock refreshed ${Math.round(refreshedMsAgo / 1000)} s ago); wait for it to finish, or delete ${path} if that machine is gone`);
  }

  /**
   * Lock `runDir` in one step: the lock, or who holds it. Of any number of processes that try at
   * once, exactly one gets it; the check and the taking are the same act.
   */
  static tryAcquire(runDir: string): RunLock | LockHeld {
    const path = runFiles(runDir).lock;
    const body = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies LockInfo) + '\n';
    for (let attempt = 0; attempt < 20; attempt++) {
      if (createWhole(path, body)) return new RunLock(path);
      const seen = readRaw(path);
      const holder = parseLock(seen);
      if (holder && holderActive(holder, path)) {
        if (holder.host === hostname() && holder.pid === process.ppid) {
          // taken by our parent for us (see above); if it changed meanwhile, look again
          if (underGuard(path, () => replaceIfUnchanged(path, seen, body))) return new RunLock(path);
          continue;
        }
        return { holder, path, refreshedMsAgo: lockAgeMs(path) ?? 0 };
      }
      // stale (its process is gone, or its host stopped refreshing it) or unreadable: remove it,
      // unless someone else got there first
      underGuard(path, () => {
        if (seen !== null && readRaw(path) === seen) rmSync(path, { force: true });
        return false;
      });
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

/** What train.lock says: absent, held by a live process, or left behind by a dead one. */
export type LockStatus = { kind: 'none' } | { kind: 'live' | 'stale'; pid: number | null; startedAt: string | null };

/** The lock of a run as a reader sees it: a live holder means the run is training now. */
export function readLockStatus(lockPath: string): LockStatus {
  const text = readRaw(lockPath);
  if (text === null) return { kind: 'none' };
  let info: { pid?: unknown; host?: unknown; startedAt?: unknown };
  try {
    info = JSON.parse(text) as typeof info;
  } catch {
    // created but never written (older versions wrote it after creating it): the process died between the two
    return { kind: 'stale', pid: null, startedAt: null };
  }
  const pid = typeof info.pid === 'number' ? info.pid : null;
  const startedAt = typeof info.startedAt === 'string' ? info.startedAt : null;
  if (pid === null) return { kind: 'stale', pid, startedAt };
  // a lock taken on another machine is live while its holder keeps refreshing it, as `train` judges
  const host = typeof info.host === 'string' ? info.host : hostname();
  return { kind: holderActive({ pid, host, startedAt: startedAt ?? '' }, lockPath) ? 'live' : 'stale', pid, startedAt };
}

/**
 * Whether the lock at `path` (held by `holder`) still belongs to a running process: a live
 * process here, or one on another host that refreshed it within six heartbeats.
 */
export function holderActive(holder: LockInfo, path: string): boolean {
  return holder.host === hostname() ? processAlive(holder.pid) : !abandoned(path);
}

function heartbeatMs(): number {
  return readSetting('GANTRY_LOCK_HEARTBEAT_MS');
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

function privateFile(path: string, body: string): string {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, body, { flag: 'wx' });
  return tmp;
}

/** Create `path` holding `body`, whole, unless it exists. */
function createWhole(path: string, body: string): boolean {
  const tmp = privateFile(path, body);
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

/** Replace the lock at `path` with `body`, whole, if it still holds `seen`. Call under the guard. */
function replaceIfUnchanged(path: string, seen: string | null, body: string): boolean {
  if (seen === null || readRaw(path) !== seen) return false;
  const tmp = privateFile(path, body);
  try {
    renameSync(tmp, path);
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Run `change` (a look at the lock and a change to it) under a guard folder, so that no other
 * process changes the lock in between: two processes that found the same stale lock cannot both
 * remove it (the second would remove the first's new lock). A guard left by a process that died
 * holding it is cleared after a few seconds. Busy: waits a moment and returns false, for the
 * caller to look again.
 */
function underGuard(path: string, change: () => boolean): boolean {
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
    // another process is changing the lock: let it finish, then look again
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    return false;
  }
  try {
    return change();
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
