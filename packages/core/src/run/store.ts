/**
 * Where a run lives: a folder on disk for the CLI, the Origin Private File System (or IndexedDB)
 * in a browser. Paths are relative to the run, `/`-separated (`checkpoints/latest.json`). The
 * loop, the checkpoint store and the metrics log are written against this and nothing else, so
 * the same run moves between a page and a server as the same files.
 */
export interface RunStore {
  /** The run's location as a message should name it (a folder path, or "browser storage: NAME"). */
  readonly location: string;
  /** The file's bytes, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** Replaces the file all at once: a reader sees the old bytes or the new, never a part. */
  write(path: string, data: Uint8Array | string): Promise<void>;
  /** Adds text at the end of the file (creating it). */
  append(path: string, text: string): Promise<void>;
  /** The names in a folder (files and folders), or [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a folder with everything in it; nothing when it does not exist. */
  remove(path: string): Promise<void>;
  /**
   * Makes the folder `from` (fully written) appear as `to`, replacing any `to`: how a checkpoint
   * becomes visible only when complete.
   */
  publish(from: string, to: string): Promise<void>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export async function readText(store: RunStore, path: string): Promise<string | null> {
  const bytes = await store.read(path);
  return bytes === null ? null : decoder.decode(bytes);
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A store's failure with an errno-like code (ENOSPC, EACCES, QuotaExceededError...), for messages. */
export function storeErrorCode(e: unknown): string | null {
  const code = (e as { code?: unknown; name?: unknown }).code;
  if (typeof code === 'string') return code;
  const name = (e as { name?: unknown }).name;
  return name === 'QuotaExceededError' || name === 'NotAllowedError' ? name : null;
}

/** A run kept in memory (tests, and a page before it picks a storage). */
export class MemoryRunStore implements RunStore {
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly location = 'memory') {}

  async read(path: string): Promise<Uint8Array | null> {
    return this.files.get(path)?.slice() ?? null;
  }
  async write(path: string, data: Uint8Array | string): Promise<void> {
    this.files.set(path, typeof data === 'string' ? utf8(data) : data.slice());
  }
  async append(path: string, text: string): Promise<void> {
    const old = this.files.get(path) ?? new Uint8Array(0);
    const add = utf8(text);
    const both = new Uint8Array(old.length + add.length);
    both.set(old);
    both.set(add, old.length);
    this.files.set(path, both);
  }
  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? '' : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.files.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    return [...names].sort();
  }
  async remove(path: string): Promise<void> {
    for (const p of [...this.files.keys()]) if (p === path || p.startsWith(`${path}/`)) this.files.delete(p);
  }
  async publish(from: string, to: string): Promise<void> {
    await this.remove(to);
    for (const [p, bytes] of [...this.files]) {
      if (p.startsWith(`${from}/`)) {
        this.files.delete(p);
        this.files.set(to + p.slice(from.length), bytes);
      }
    }
  }
}
