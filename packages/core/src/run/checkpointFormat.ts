import * as tf from '@tensorflow/tfjs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { UsageError } from '../errors.js';
import type { NamedVariable } from '../models/network.js';
import { gantryVersion } from '../version.js';

/**
 * The checkpoint format, the same in Node and in a page: checkpoints/step-NNNNNNNNN/ holds
 * manifest.json (what the tensors are, the config, the counters, the weights' SHA-256) and
 * weights.bin (every tensor as float32, little-endian, one after another).
 */
export const checkpointFormat = 'gantry-checkpoint';
export const checkpointFormatVersion = 1;

export interface TensorEntry {
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

/** A checkpoint passed over because it failed to read or verify. */
export interface SkippedCheckpoint {
  name: string;
  reason: string;
}

/** A checkpoint was refused because a weight is NaN or infinite (training diverged). */
export class NonFiniteWeightsError extends Error {}

/** A checkpoint that cannot be used: its manifest or weights are missing, unreadable or do not verify. */
export class DamagedCheckpointError extends UsageError {
  constructor(readonly dir: string, readonly reason: string) {
    super(`checkpoint ${dir}: ${reason}; name another with --checkpoint (or --resume-from), or leave it out to use the newest intact one`);
  }
}

export const stepDirName = (step: number) => `step-${String(step).padStart(9, '0')}`;
export const isStepDirName = (name: string) => /^step-\d+$/.test(name);

/** `step-000000400`, or a plain step number (`400`), as a checkpoint directory name. */
export function checkpointName(name: string): string {
  if (/^\d+$/.test(name)) return stepDirName(Number(name));
  if (isStepDirName(name)) return name;
  throw new UsageError(`'${name}' is not a checkpoint name; give a step number or a name such as step-000001000`);
}

export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

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

/** The variables' values, read asynchronously (the only way on a GPU backend), laid out as weights.bin. */
export async function gatherWeights(groups: VariableGroups): Promise<{ entries: Record<string, TensorEntry[]>; weights: Float32Array }> {
  const { entries, weights } = layOut(groups);
  const reads = Object.entries(groups).flatMap(([group, vars]) => vars.map(async (v, i) => {
    weights.set((await v.variable.data()) as Float32Array, entries[group]![i]!.offset);
  }));
  await Promise.all(reads);
  return { entries, weights };
}

/** The same, read synchronously (CPU backends). */
export function gatherWeightsSync(groups: VariableGroups): { entries: Record<string, TensorEntry[]>; weights: Float32Array } {
  const { entries, weights } = layOut(groups);
  for (const [group, vars] of Object.entries(groups)) {
    vars.forEach((v, i) => weights.set(v.variable.dataSync() as Float32Array, entries[group]![i]!.offset));
  }
  return { entries, weights };
}

/**
 * A checkpoint's two files. Refuses (NonFiniteWeightsError) weights holding NaN or infinity:
 * a poisoned checkpoint would replace the last good one.
 */
export function encodeCheckpoint(step: number, entries: Record<string, TensorEntry[]>, weights: Float32Array, counters: Record<string, number>, config: unknown): { manifest: CheckpointManifest; manifestText: string; bytes: Uint8Array } {
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
    weightsSha256: sha256Hex(bytes),
  };
  return { manifest, manifestText: JSON.stringify(manifest, null, 1) + '\n', bytes };
}

/**
 * A checkpoint's files, checked: the manifest parses and is Gantry's, weights.bin has its length
 * and hash. `manifestText` or `bytes` is null when that file is missing.
 */
export function decodeCheckpoint(dir: string, manifestText: string | null, bytes: Uint8Array | null): LoadedCheckpoint {
  let manifest: CheckpointManifest;
  try {
    if (manifestText === null) throw new Error('no such file');
    manifest = JSON.parse(manifestText) as CheckpointManifest;
  } catch (e) {
    throw new DamagedCheckpointError(dir, `manifest.json is missing or unreadable (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof manifest !== 'object' || manifest === null) throw new DamagedCheckpointError(dir, 'manifest.json holds no manifest');
  if (manifest.format !== checkpointFormat) throw new DamagedCheckpointError(dir, `not a Gantry checkpoint (format '${String(manifest.format)}')`);
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > checkpointFormatVersion) {
    throw new UsageError(`checkpoint ${dir} has format version ${String(manifest.formatVersion)}, newer than this Gantry (${gantryVersion}) reads (${checkpointFormatVersion}); upgrade Gantry`);
  }
  if (bytes === null) throw new DamagedCheckpointError(dir, 'weights.bin is missing');
  if (bytes.length !== manifest.weightsBytes || sha256Hex(bytes) !== manifest.weightsSha256) {
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
      const e = entries[i]!;
      if (e.name !== v.name || e.shape.join(',') !== v.variable.shape.join(',')) {
        throw new UsageError(`checkpoint ${loaded.dir}: ${e.name} [${e.shape.join(', ')}] does not fit ${v.name} [${v.variable.shape.join(', ')}]; it is from another architecture`);
      }
      const size = v.variable.size;
      tf.tidy(() => v.variable.assign(tf.tensor(loaded.weights.slice(e.offset, e.offset + size), e.shape)));
    });
  }
}

/** The newest-first order in which a resume tries checkpoints: the pointed one, then every step folder by step. */
export function candidateOrder(pointed: string | null, names: string[]): string[] {
  const steps = names.filter(isStepDirName).sort().reverse(); // zero-padded: name order is step order
  return pointed ? [pointed, ...steps.filter((n) => n !== pointed)] : steps;
}

/** latest.json's checkpoint name, or null when the pointer is missing or damaged. */
export function parseLatestPointer(text: string | null): string | null {
  if (text === null) return null;
  try {
    const p = JSON.parse(text) as { dir?: unknown };
    return typeof p.dir === 'string' && isStepDirName(p.dir) ? p.dir : null;
  } catch {
    return null;
  }
}

export interface BestCheckpoint {
  step: number;
  dir: string;
  metric: string;
  value: number;
}

/** best.json, when it parses and names a checkpoint that `exists`. */
export function parseBestPointer(text: string | null, exists: (dir: string) => boolean): BestCheckpoint | null {
  if (text === null) return null;
  try {
    const b = JSON.parse(text) as BestCheckpoint;
    return typeof b.dir === 'string' && typeof b.value === 'number' && exists(b.dir) ? b : null;
  } catch {
    return null;
  }
}

/** Which complete checkpoints to remove so that the newest `keep` remain (never the best, never `newest`). */
export function checkpointsToPrune(names: string[], keep: number, newest: string, best: string | undefined): string[] {
  const complete = names.filter((n) => isStepDirName(n) && n !== best).sort();
  return complete.filter((n) => n !== newest).slice(0, Math.max(0, complete.length - keep));
}

/** The one-line message for a checkpoint that could not be written. */
export function checkpointWriteError(name: string, where: string, code: string, previous: string | null): UsageError {
  const kept = previous ? `the previous checkpoint ${previous} is intact` : 'no earlier checkpoint exists';
  const hint = code === 'ENOSPC' || code === 'QuotaExceededError' ? 'the disk is full; free space'
    : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'NotAllowedError' ? 'the directory is not writable; fix its permissions'
    : 'fix the directory';
  return new UsageError(`cannot write checkpoint ${name} in ${where} (${code}); ${kept}; ${hint}, then continue with --resume`);
}
