// A run's files in this browser, as the core's RunStore: the Origin Private File System where the
// browser has it (one folder per run under runs/NAME/), else IndexedDB (path -> bytes). The loop,
// its checkpoints and its metrics log are written against RunStore only, so a run kept here has
// the same files as a run folder of `gantry train`. Beside the runs, in run-data/NAME.gds, the
// images a run on the user's folder trains on, so that it resumes after a reload without the folder:
// kept outside the run's folder, which stays exactly a `gantry train` run folder (and its zip).
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { DATA_FILE_EXTENSION } from 'gantry-core/data/gdsFormat.js';
import { concatChunks, encodeDataFile } from 'gantry-core/data/gdsWrite.js';
import type { RunStore } from 'gantry-core/run/store.js';
import { readText } from 'gantry-core/run/store.js';

/** Where every run lives: runs/NAME/... in either backing store. */
const RUNS = 'runs';
/** Where a run's own images are kept: run-data/NAME.gds in either backing store. */
const RUN_DATA = 'run-data';

/** A run name the page accepts: it becomes a folder name, so no slashes, dots first, or oddities. */
export function checkRunName(name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/.test(name)) return `run name '${name}' must be 1 to 80 letters, digits, '-', '_' or '.', starting with a letter or digit`;
  return null;
}

const encoder = new TextEncoder();
const asBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);
const parts = (path: string): string[] => path.split('/').filter((p) => p !== '');

// ---------------------------------------------------------------------------------------------
// OPFS

function hasOpfs(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function'
    && typeof (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle?.prototype === 'object'
    && 'createWritable' in FileSystemFileHandle.prototype;
}

const isNotFound = (e: unknown) => (e as { name?: string }).name === 'NotFoundError' || (e as { name?: string }).name === 'TypeMismatchError';

/**
 * One run's folder in the Origin Private File System.
 *
 * Atomic writes: a file is written whole through createWritable(), which Chromium (and Firefox)
 * back with a swap file that replaces the file only on close(): a reader, or a page closed in the
 * middle, sees the old bytes or the new, never a part. So no temp file and rename are needed, and
 * move() (missing from some browsers' OPFS) is never used. Appends go through the same swap file
 * (keepExistingData, then a write at the end). Folders cannot be moved in every browser, so
 * publish() copies then removes; the core writes the pointer (checkpoints/latest.json) only after
 * publish returns, so a checkpoint is never named before all of it is in place.
 */
export class OpfsRunStore implements RunStore {
  readonly location: string;
  constructor(private readonly root: FileSystemDirectoryHandle, readonly name: string) {
    this.location = `browser storage (OPFS): ${name}`;
  }

  private async dir(path: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
    let d = this.root;
    for (const p of path) {
      try {
        d = await d.getDirectoryHandle(p, { create });
      } catch (e) {
        if (!create && isNotFound(e)) return null;
        throw e;
      }
    }
    return d;
  }

  private async file(path: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const p = parts(path);
    const d = await this.dir(p.slice(0, -1), create);
    if (!d) return null;
    try {
      return await d.getFileHandle(p[p.length - 1]!, { create });
    } catch (e) {
      if (!create && isNotFound(e)) return null;
      throw e;
    }
  }

  async read(path: string): Promise<Uint8Array | null> {
    const f = await this.file(path, false);
    if (!f) return null;
    return new Uint8Array(await (await f.getFile()).arrayBuffer());
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    const f = (await this.file(path, true))!;
    const w = await f.createWritable();
    try {
      await w.write(asBytes(data) as unknown as BufferSource);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  }

  async append(path: string, text: string): Promise<void> {
    const f = (await this.file(path, true))!;
    const size = (await f.getFile()).size;
    const w = await f.createWritable({ keepExistingData: true });
    try {
      await w.seek(size);
      await w.write(encoder.encode(text) as unknown as BufferSource);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  }

  async list(dir: string): Promise<string[]> {
    const d = await this.dir(parts(dir), false);
    if (!d) return [];
    const names: string[] = [];
    for await (const key of (d as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(key);
    return names.sort();
  }

  async remove(path: string): Promise<void> {
    const p = parts(path);
    const d = await this.dir(p.slice(0, -1), false);
    if (!d) return;
    try {
      await d.removeEntry(p[p.length - 1]!, { recursive: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async publish(from: string, to: string): Promise<void> {
    await this.remove(to);
    await this.copy(from, to);
    await this.remove(from);
  }

  private async copy(from: string, to: string): Promise<void> {
    const src = await this.dir(parts(from), false);
    if (!src) return;
    await this.dir(parts(to), true);
    for await (const [name, handle] of (src as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind === 'directory') await this.copy(`${from}/${name}`, `${to}/${name}`);
      else await this.write(`${to}/${name}`, new Uint8Array(await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IndexedDB

const IDB_NAME = 'gantry-studio';
const IDB_FILES = 'files';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'));
  });
}

let idb: Promise<IDBDatabase> | null = null;
function openIdb(): Promise<IDBDatabase> {
  idb ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(IDB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(IDB_FILES);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return idb;
}

/** Keys under `prefix/` (the prefix itself excluded): '/' sorts just before '0', '0' closes the range. */
const under = (prefix: string) => IDBKeyRange.bound(`${prefix}/`, `${prefix}0`, false, true);

/**
 * One run in IndexedDB, for browsers without OPFS writes: a key-value store of full path
 * (runs/NAME/checkpoints/latest.json) -> bytes. Each call is one transaction, so a write, an
 * append and a publish are atomic by IndexedDB's own rules.
 */
export class IdbRunStore implements RunStore {
  readonly location: string;
  private readonly base: string;
  constructor(private readonly db: IDBDatabase, readonly name: string) {
    this.location = `browser storage (IndexedDB): ${name}`;
    this.base = `${RUNS}/${name}`;
  }

  private key(path: string): string {
    return `${this.base}/${parts(path).join('/')}`;
  }

  async read(path: string): Promise<Uint8Array | null> {
    const v = await request(this.db.transaction(IDB_FILES).objectStore(IDB_FILES).get(this.key(path)));
    return v instanceof Uint8Array ? v.slice() : null;
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    const tx = this.db.transaction(IDB_FILES, 'readwrite');
    tx.objectStore(IDB_FILES).put(asBytes(data).slice(), this.key(path));
    await done(tx);
  }

  async append(path: string, text: string): Promise<void> {
    const tx = this.db.transaction(IDB_FILES, 'readwrite');
    const files = tx.objectStore(IDB_FILES);
    const key = this.key(path);
    const old = await request(files.get(key));
    const add = encoder.encode(text);
    const before = old instanceof Uint8Array ? old : new Uint8Array(0);
    const both = new Uint8Array(before.length + add.length);
    both.set(before);
    both.set(add, before.length);
    files.put(both, key);
    await done(tx);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? this.base : this.key(dir);
    const keys = (await request(this.db.transaction(IDB_FILES).objectStore(IDB_FILES).getAllKeys(under(prefix)))) as string[];
    return [...new Set(keys.map((k) => k.slice(prefix.length + 1).split('/')[0]!))].sort();
  }

  async remove(path: string): Promise<void> {
    const tx = this.db.transaction(IDB_FILES, 'readwrite');
    const files = tx.objectStore(IDB_FILES);
    const key = path === '' ? this.base : this.key(path);
    files.delete(key);
    files.delete(under(key));
    await done(tx);
  }

  async publish(from: string, to: string): Promise<void> {
    const tx = this.db.transaction(IDB_FILES, 'readwrite');
    const files = tx.objectStore(IDB_FILES);
    const src = this.key(from);
    const dst = this.key(to);
    files.delete(under(dst));
    const keys = (await request(files.getAllKeys(under(src)))) as string[];
    for (const k of keys) {
      const v = await request(files.get(k));
      files.put(v, dst + k.slice(src.length));
    }
    files.delete(under(src));
    await done(tx);
  }
}

// ---------------------------------------------------------------------------------------------
// the runs

/** What the page lists of a stored run. */
export interface StoredRun {
  name: string;
  preset: string | null;
  data: string | null;
  /** The planned steps (config.json). */
  steps: number | null;
  /** The newest complete checkpoint's step, or null when it has none yet. */
  lastStep: number | null;
}

/** This browser's runs, in OPFS when it can, else IndexedDB. */
export class BrowserRuns {
  private constructor(
    private readonly opfs: FileSystemDirectoryHandle | null,
    private readonly opfsData: FileSystemDirectoryHandle | null,
    private readonly db: IDBDatabase | null,
  ) {}

  /** Opens OPFS, or IndexedDB where OPFS (with createWritable) is missing; `prefer` forces one (tests). */
  static async open(prefer?: 'opfs' | 'indexeddb'): Promise<BrowserRuns> {
    if (prefer !== 'indexeddb' && hasOpfs()) {
      try {
        const root = await navigator.storage.getDirectory();
        const [runs, data] = await Promise.all([RUNS, RUN_DATA].map((d) => root.getDirectoryHandle(d, { create: true })));
        return new BrowserRuns(runs!, data!, null);
      } catch (e) {
        if (prefer === 'opfs') throw e;
      }
    }
    return new BrowserRuns(null, null, await openIdb());
  }

  /** 'opfs' or 'indexeddb', for the page to say where runs are kept. */
  get kind(): 'opfs' | 'indexeddb' {
    return this.opfs ? 'opfs' : 'indexeddb';
  }

  /** The store of one run (made on first write). */
  async store(name: string): Promise<RunStore> {
    if (this.opfs) return new OpfsRunStore(await this.opfs.getDirectoryHandle(name, { create: true }), name);
    return new IdbRunStore(this.db!, name);
  }

  /** The names of the stored runs, sorted. */
  async names(): Promise<string[]> {
    if (this.opfs) {
      const names: string[] = [];
      for await (const [name, handle] of (this.opfs as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (handle.kind === 'directory') names.push(name);
      }
      return names.sort();
    }
    const keys = (await request(this.db!.transaction(IDB_FILES).objectStore(IDB_FILES).getAllKeys(under(RUNS)))) as string[];
    return [...new Set(keys.map((k) => k.slice(RUNS.length + 1).split('/')[0]!))].sort();
  }

  /** Every run with its preset, data, planned steps and last checkpoint's step. */
  async list(): Promise<StoredRun[]> {
    const out: StoredRun[] = [];
    for (const name of await this.names()) out.push(await this.describe(name));
    return out;
  }

  /** One run as list() gives it. */
  async describe(name: string): Promise<StoredRun> {
    const store = await this.store(name);
    let config: { preset?: string; data?: string; steps?: number } = {};
    let lastStep: number | null = null;
    try {
      config = JSON.parse((await readText(store, 'config.json')) ?? '{}') as typeof config;
    } catch { /* a run cut off before its config: listed without one */ }
    try {
      const latest = JSON.parse((await readText(store, 'checkpoints/latest.json')) ?? 'null') as { step?: number } | null;
      lastStep = typeof latest?.step === 'number' ? latest.step : null;
    } catch { /* no readable pointer: no checkpoint to name */ }
    return { name, preset: config.preset ?? null, data: config.data ?? null, steps: config.steps ?? null, lastStep };
  }

  /** Removes a run, all its files, and the images kept for it. */
  async remove(name: string): Promise<void> {
    await this.removeData(name);
    if (this.opfs) {
      try {
        await this.opfs.removeEntry(name, { recursive: true });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    await new IdbRunStore(this.db!, name).remove('');
  }

  /**
   * Keeps `set`, the images run `name` trains on, as one .gds file outside the run's folder
   * (replacing any kept before). Written whole: a reader sees the old file or the new one.
   */
  async keepData(name: string, set: ImageSet & { classNames?: readonly string[] }): Promise<void> {
    const chunks = encodeDataFile(set, set.classNames);
    const file = `${name}${DATA_FILE_EXTENSION}`;
    if (this.opfsData) {
      const w = await (await this.opfsData.getFileHandle(file, { create: true })).createWritable();
      try {
        for (const chunk of chunks) await w.write(chunk as unknown as BufferSource);
        await w.close();
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
      return;
    }
    const tx = this.db!.transaction(IDB_FILES, 'readwrite');
    tx.objectStore(IDB_FILES).put(concatChunks(chunks), `${RUN_DATA}/${file}`);
    await done(tx);
  }

  /** The .gds bytes kept for run `name`, or null when none are (a built-in set, an older run, storage cleared). */
  async keptData(name: string): Promise<Uint8Array | null> {
    const file = `${name}${DATA_FILE_EXTENSION}`;
    if (this.opfsData) {
      try {
        return new Uint8Array(await (await (await this.opfsData.getFileHandle(file)).getFile()).arrayBuffer());
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    }
    const v = await request(this.db!.transaction(IDB_FILES).objectStore(IDB_FILES).get(`${RUN_DATA}/${file}`));
    return v instanceof Uint8Array ? v : null;
  }

  private async removeData(name: string): Promise<void> {
    const file = `${name}${DATA_FILE_EXTENSION}`;
    if (this.opfsData) {
      try {
        await this.opfsData.removeEntry(file);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    const tx = this.db!.transaction(IDB_FILES, 'readwrite');
    tx.objectStore(IDB_FILES).delete(`${RUN_DATA}/${file}`);
    await done(tx);
  }

  /** Every file of a run as path -> bytes (tests, and the page's file list). */
  async files(name: string): Promise<Map<string, Uint8Array>> {
    const store = await this.store(name);
    const out = new Map<string, Uint8Array>();
    const walk = async (dir: string) => {
      for (const entry of await store.list(dir)) {
        const path = dir === '' ? entry : `${dir}/${entry}`;
        const bytes = await store.read(path).catch(() => null);
        if (bytes) out.set(path, bytes);
        else await walk(path);
      }
    };
    await walk('');
    return out;
  }
}
