import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files a trainer leaves in a run folder, by name: everything that reads a run folder finds
 * them here, so their names are written down once.
 */
export interface RunFiles {
  /** Every resolved setting of the run (written at the start of each session). */
  config: string;
  /** One JSON record per line, appended as training goes. */
  metrics: string;
  /** The training process that owns the run (see lock.ts). */
  lock: string;
  /** step-NNNNNNNNN/ checkpoint folders and the pointers below. */
  checkpoints: string;
  /** Names the newest complete checkpoint. */
  latest: string;
  /** Names the checkpoint with the best evaluation so far. */
  best: string;
  /** step-NNNNNNNNN.png sample grids. */
  samples: string;
}

export function runFiles(dir: string): RunFiles {
  return {
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.jsonl'),
    lock: join(dir, 'train.lock'),
    checkpoints: join(dir, 'checkpoints'),
    latest: join(dir, 'checkpoints', 'latest.json'),
    best: join(dir, 'checkpoints', 'best.json'),
    samples: join(dir, 'samples'),
  };
}

/** A small JSON file of the run (config.json, a checkpoint pointer), or null when it is missing or does not parse. */
export function readJsonFile(path: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

