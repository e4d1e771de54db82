import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import {
  candidateOrder, checkpointName, decodeCheckpoint, DamagedCheckpointError, parseBestPointer, parseLatestPointer,
  type BestCheckpoint, type LoadedCheckpoint, type SkippedCheckpoint,
} from 'gantry-core/run/checkpointFormat.js';

export {
  checkpointFormat, checkpointFormatVersion, checkpointName, DamagedCheckpointError, NonFiniteWeightsError, restoreVariables,
  type CheckpointManifest, type LoadedCheckpoint, type SkippedCheckpoint, type VariableGroups,
} from 'gantry-core/run/checkpointFormat.js';

/**
 * A run directory's checkpoints, read synchronously: how `gantry sample`, `eval`, `export`, the
 * dashboard and tests open a run. The format and its checks are the core's (checkpointFormat.ts);
 * the loop writes checkpoints through the core's RunCheckpoints over an FsRunStore.
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(runDir: string) {
    this.dir = join(runDir, 'checkpoints');
  }

  best(): BestCheckpoint | null {
    return parseBestPointer(readIfExists(join(this.dir, 'best.json')), (d) => existsSync(join(this.dir, d)));
  }

  /** The newest complete checkpoint's directory name, or null when there is none. */
  latestName(): string | null {
    return parseLatestPointer(readIfExists(join(this.dir, 'latest.json')));
  }

  /**
   * Checkpoint names to try when resuming, newest first: the one latest.json names, then every
   * complete step directory by step. A damaged pointer or a missing one still finds them all.
   */
  candidates(): string[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      // no checkpoints folder: no candidates
    }
    return candidateOrder(this.latestName(), names);
  }

  /**
   * Load and verify a checkpoint. With a name, exactly that one (a damaged one is an error).
   * Without, the newest intact one: those passed over on the way are returned in `skipped`, with
   * the reason, so that the caller can say so.
   */
  load(name?: string): LoadedCheckpoint & { skipped: SkippedCheckpoint[] } {
    if (name !== undefined) {
      const chosen = checkpointName(name);
      const dir = join(this.dir, chosen);
      if (!existsSync(dir)) {
        const known = this.candidates();
        throw new UsageError(`no checkpoint ${chosen} in ${this.dir}; ${known.length ? `it has ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', ...' : ''}` : 'it has none'}`);
      }
      return { ...readCheckpointDir(dir), skipped: [] };
    }
    const skipped: SkippedCheckpoint[] = [];
    for (const candidate of this.candidates()) {
      try {
        return { ...readCheckpointDir(join(this.dir, candidate)), skipped };
      } catch (e) {
        if (!(e instanceof DamagedCheckpointError)) throw e;
        skipped.push({ name: candidate, reason: e.reason });
      }
    }
    if (skipped.length === 0) throw new UsageError(`no complete checkpoint in ${this.dir}; train first (or check --run)`);
    const list = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    throw new UsageError(`no intact checkpoint in ${this.dir} (${list}); the run cannot be continued or sampled; train it again in a new --out`);
  }
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readBytesIfExists(path: string): Uint8Array | null {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch {
    return null;
  }
}

export function readCheckpointDir(dir: string): LoadedCheckpoint {
  return decodeCheckpoint(dir, readIfExists(join(dir, 'manifest.json')), readBytesIfExists(join(dir, 'weights.bin')));
}
