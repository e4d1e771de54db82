import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunStore } from 'gantry-core/run/store.js';
import { fsyncDirectory, writeFileAtomicSync } from './atomicFile.js';

/**
 * A run directory on disk as the core's RunStore: atomic writes are a temporary file renamed
 * over the target (atomicFile.ts), a published folder is renamed into place and its parent
 * flushed. The calls are synchronous underneath: the loop awaits them, nothing runs between.
 */
export class FsRunStore implements RunStore {
  constructor(readonly location: string) {}

  private at(path: string): string {
    return join(this.location, ...path.split('/'));
  }

  async read(path: string): Promise<Uint8Array | null> {
    const p = this.at(path);
    if (!existsSync(p)) return null;
    const b = readFileSync(p);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    const p = this.at(path);
    writeFileAtomicSync(p, data);
  }

  async append(path: string, text: string): Promise<void> {
    appendFileSync(this.at(path), text);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return readdirSync(this.at(dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async remove(path: string): Promise<void> {
    rmSync(this.at(path), { recursive: true, force: true });
  }

  async publish(from: string, to: string): Promise<void> {
    const target = this.at(to);
    rmSync(target, { recursive: true, force: true });
    renameSync(this.at(from), target);
    fsyncDirectory(dirname(target));
  }
}
