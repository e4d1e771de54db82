import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from 'gantry-core/errors.js';
import type { NamedVariable } from 'gantry-core/models/network.js';
import { gantryVersion } from 'gantry-core/version.js';
import { fsyncDirectory, writeFileAtomicSync } from './atomicFile.js';
import { makeDirectory } from './directories.js';

export const checkpointFormat = 'gantry-checkpoint';
export const checkpointFormatVersion = 1;

interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset into weights.bin, in float32 elements. */
  offset: number;
}

/** manifest.json of one checkpoint. */
export interface CheckpointManifest {
  format: typeof checkpointFormat;
  formatVersion: number;
  gantryVersion: string;
  /** Number of completed D+G steps. */
  step: number;
  createdAt: string;
  /** The run's resolved config, so a checkpoint stands on its own. */
  config: unknown;
  /** Optimizer step counters and anything else a resumed run needs. */
  counters: Record<string, number>;
  groups: Record<string, TensorEntry[]>;
  weightsBytes: number;
  weightsSha256: string;
}

export type VariableGroups = Record<string, NamedVariable[]>;

export interface LoadedCheckpoint {
  dir: string;
  manifest: CheckpointManifest;
  weights: Float32Array;
}

/** A checkpoint was refused because a weight is NaN or infinite (training diverged). */
export class NonFiniteWeightsError extends Error {}

/** Where each variable goes in weights.bin, in the groups' order, and the buffer for them all. */
function layOut(groups: VariableGroups): { entries: Record<string, TensorEntry[]>; weights: Float32Array } {
  const entries: Record<string, TensorEntry[]> = {};
  let total = 0;
  for (const [group, vars] of Object.entries(groups)) {
    entries[group] = vars.map((v) => {
      const e = { name: v.name, shape: v.variable.shape.slice(), offset: total };
      total += v.variable.size;
      return e;
    });
  }
  return { entries, weights: new Float32Array(total) };
}

const stepDirName = (step: number) => `step-${String(step).padStart(9, '0')}`;

/**
 * Checkpoints of a run: checkpoints/step-NNNNNNNNN/{manifest.json, weights.bin}, and
 * checkpoints/latest.json naming the newest complete one. A checkpoint is written into a
 * temporary directory, flushed, renamed into place; the pointer is updated last. A crash at
 * any moment leaves the previous pointer and the checkpoint it names intact.
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(runDir: string) {
    this.dir = join(runDir, 'checkpoints');
  }

  save(step: number, groups: VariableGroups, counters: Record<string, number>, config: unknown, keep: number): string {
    const { entries, weights } = layOut(groups);
    for (const [group, vars] of Object.entries(groups)) {
      vars.forEach((v, i) => weights.set(v.variable.dataSync() as Float32Array, entries[group][i].offset));
    }
    return this.write(step, entries, weights, counters, config, keep);
  }

  /** `save`, reading the variables asynchronously (the only way on a GPU backend). */
  async saveAsync(step: number, groups: VariableGroups, counters: Record<string, number>, config: unknown, keep: number): Promise<string> {
    const { entries, weights } = layOut(groups);
    const reads = Object.entries(groups).flatMap(([group, vars]) => vars.map(async (v, i) => {
      weights.set((await v.variable.data()) as Float32Array, entries[group][i].offset);
    }));
    await Promise.all(reads);
    return this.write(step, entries, weights, counters, config, keep);
  }

  private write(step: number, entries: Record<string, TensorEntry[]>, weights: Float32Array, counters: Record<string, number>, config: unknown, keep: number): string {
    // never write a poisoned checkpoint: it would replace the last good one
    for (const [group, list] of Object.entries(entries)) {
      for (const e of list) {
        const size = e.shape.reduce((a, b) => a * b, 1);
        for (let i = e.offset; i < e.offset + size; i++) {
          if (!Number.isFinite(weights[i])) throw new NonFiniteWeightsError(`${group} tensor ${e.name} holds ${weights[i]} at step ${step}`);
        }
      }
    }
    const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    const manifest: CheckpointManifest = {
      format: checkpointFormat,
      formatVersion: checkpointFormatVersion,
      gantryVersion,
      step,
      createdAt: new Date().toISOString(),
      config,
      counters,
      groups: entries,
      weightsBytes: bytes.length,
      weightsSha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const name = stepDirName(step);
    const tmp = join(this.dir, `.tmp-${name}-${process.pid}`);
    try {
      makeDirectory(this.dir, 'checkpoint folder');
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      writeFileAtomicSync(join(tmp, 'weights.bin'), bytes);
      writeFileAtomicSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
      const final = join(this.dir, name);
      rmSync(final, { recursive: true, force: true });
      renameSync(tmp, final);
      fsyncDirectory(this.dir);
      writeFileAtomicSync(join(this.dir, 'latest.json'), JSON.stringify({ step, dir: name }) + '\n');
    } catch (e) {
      try {
        rmSync(tmp, { recursive: true, force: true });
      } catch {
        // the failure that brought us here matters more
      }
      const err = e as NodeJS.ErrnoException;
      if (!err.code) throw e;
      const previous = this.latestName();
      const kept = previous ? `the previous checkpoint ${previous} is intact` : 'no earlier checkpoint exists';
      const hint = err.code === 'ENOSPC' ? 'the disk is full; free space' : err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' ? 'the directory is not writable; fix its permissions' : 'fix the directory';
      throw new UsageError(`cannot write checkpoint ${name} in ${this.dir} (${err.code}); ${kept}; ${hint}, then continue with --resume`);
    }
    this.prune(keep, name);
    return join(this.dir, name);
  }

  /** Remember a checkpoint as the best so far (by `metric`); pruning keeps it. */
  markBest(step: number, metric: string, value: number): void {
    writeFileAtomicSync(join(this.dir, 'best.json'), JSON.stringify({ step, dir: stepDirName(step), metric, value }) + '\n');
  }

  best(): { step: number; dir: string; metric: string; value: number } | null {
    try {
      const b = JSON.parse(readFileSync(join(this.dir, 'best.json'), 'utf8'));
      return typeof b.dir === 'string' && typeof b.value === 'number' && existsSync(join(this.dir, b.dir)) ? b : null;
    } catch {
      return null;
    }
  }

  /** Remove older complete checkpoints beyond the newest `keep` (never the best), and leftovers of crashed writes. */
  private prune(keep: number, newest: string): void {
    const names = readdirSync(this.dir);
    for (const n of names) if (n.startsWith('.tmp-') && !n.includes(`-${process.pid}`)) rmSync(join(this.dir, n), { recursive: true, force: true });
    const best = this.best()?.dir;
    const complete = names.filter((n) => /^step-\d+$/.test(n) && n !== best).sort();
    const excess = complete.filter((n) => n !== newest).slice(0, Math.max(0, complete.length - keep));
    for (const n of excess) rmSync(join(this.dir, n), { recursive: true, force: true });
  }

  /** The newest complete checkpoint's directory name, or null when there is none. */
  latestName(): string | null {
    const pointer = join(this.dir, 'latest.json');
    if (!existsSync(pointer)) return null;
    try {
      const p = JSON.parse(readFileSync(pointer, 'utf8')) as { dir?: unknown };
      return typeof p.dir === 'string' && /^step-\d+$/.test(p.dir) ? p.dir : null;
    } catch {
      return null;
    }
  }

  /**
   * Checkpoint names to try when resuming, newest first: the one latest.json names, then every
   * complete step directory by step. A damaged pointer or a missing one still finds them all.
   */
  candidates(): string[] {
    const pointed = this.latestName();
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => /^step-\d+$/.test(n));
    } catch {
      // no checkpoints folder: no candidates
    }
    names.sort().reverse(); // zero-padded, so the name order is the step order
    return pointed ? [pointed, ...names.filter((n) => n !== pointed)] : names;
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

/** A checkpoint passed over because it failed to read or verify. */
export interface SkippedCheckpoint {
  name: string;
  reason: string;
}

/** A checkpoint that cannot be used: its manifest or weights are missing, unreadable or do not verify. */
export class DamagedCheckpointError extends UsageError {
  constructor(readonly dir: string, readonly reason: string) {
    super(`checkpoint ${dir}: ${reason}; name another with --checkpoint (or --resume-from), or leave it out to use the newest intact one`);
  }
}

/** `step-000000400`, or a plain step number (`400`), as a checkpoint directory name. */
export function checkpointName(name: string): string {
  if (/^\d+$/.test(name)) return stepDirName(Number(name));
  if (/^step-\d+$/.test(name)) return name;
  throw new UsageError(`'${name}' is not a checkpoint name; give a step number or a name such as step-000001000`);
}

export function readCheckpointDir(dir: string): LoadedCheckpoint {
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new DamagedCheckpointError(dir, `manifest.json is missing or unreadable (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof manifest !== 'object' || manifest === null) throw new DamagedCheckpointError(dir, 'manifest.json holds no manifest');
  if (manifest.format !== checkpointFormat) throw new DamagedCheckpointError(dir, `not a Gantry checkpoint (format '${String(manifest.format)}')`);
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > checkpointFormatVersion) {
    throw new UsageError(`checkpoint ${dir} has format version ${String(manifest.formatVersion)}, newer than this Gantry (${gantryVersion}) reads (${checkpointFormatVersion}); upgrade Gantry`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, 'weights.bin'));
  } catch {
    throw new DamagedCheckpointError(dir, 'weights.bin is missing');
  }
  if (bytes.length !== manifest.weightsBytes || createHash('sha256').update(bytes).digest('hex') !== manifest.weightsSha256) {
    throw new DamagedCheckpointError(dir, 'weights.bin does not match its manifest (truncated or damaged)');
  }
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { dir, manifest, weights };
}

/** Copy a loaded checkpoint's tensors into variables; every name and shape must match. */
export function restoreVariables(loaded: LoadedCheckpoint, groups: VariableGroups): void {
  for (const [group, vars] of Object.entries(groups)) {
    const entries = loaded.manifest.groups[group];
    if (!entries) throw new UsageError(`checkpoint ${loaded.dir} has no ${group}; it was made by another kind of run`);
    if (entries.length !== vars.length) {
      throw new UsageError(`checkpoint ${loaded.dir}: ${group} has ${entries.length} tensors, the model has ${vars.length}; it is from another architecture`);
    }
    vars.forEach((v, i) => {
      const e = entries[i];
      if (e.name !== v.name || e.shape.join(',') !== v.variable.shape.join(',')) {
        throw new UsageError(`checkpoint ${loaded.dir}: ${e.name} [${e.shape.join(', ')}] does not fit ${v.name} [${v.variable.shape.join(', ')}]; it is from another architecture`);
      }
      const size = v.variable.size;
      tf.tidy(() => v.variable.assign(tf.tensor(loaded.weights.slice(e.offset, e.offset + size), e.shape)));
    });
  }
}
