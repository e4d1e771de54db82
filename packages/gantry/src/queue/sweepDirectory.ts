import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import type { SweepRun, SweepSpec } from './spec.js';
import { makeDirectory } from '../io/directories.js';

/** DIR/<sweep>/sweep.json: the spec and the list of runs, so status and results need only the folder. */
export interface SweepManifest {
  name: string;
  spec: SweepSpec;
  runs: { name: string; params: Record<string, unknown> }[];
}

const configText = (run: SweepRun) => JSON.stringify(run.config, null, 2) + '\n';

/**
 * Write DIR/<sweep>/<run>/config.json for every run (ordinary run directories that
 * `gantry train --out RUN --resume` starts or continues) and sweep.json. Everything is
 * checked before anything is written: a run directory whose config.json differs from the
 * spec's is refused, so submitting an edited spec cannot change runs already started.
 */
export function writeSweepDirectory(outRoot: string, spec: SweepSpec, runs: SweepRun[]): { dir: string; created: number } {
  const dir = resolve(outRoot, spec.name);
  for (const run of runs) {
    const path = join(dir, run.name, 'config.json');
    if (existsSync(path) && readFileSync(path, 'utf8') !== configText(run) && !sameSettings(path, run)) {
      throw new UsageError(`${path} already holds a different config; the sweep '${spec.name}' was submitted before with other settings; give the sweep another name`);
    }
  }
  const manifest: SweepManifest = { name: spec.name, spec, runs: runs.map((r) => ({ name: r.name, params: r.params })) };
  makeDirectory(dir, 'sweep directory');
  let created = 0;
  for (const run of runs) {
    const runDir = join(dir, run.name);
    if (existsSync(join(runDir, 'config.json'))) continue;
    makeDirectory(runDir, 'run directory');
    writeFileAtomicSync(join(runDir, 'config.json'), configText(run));
    created += 1;
  }
  writeFileAtomicSync(join(dir, 'sweep.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, created };
}

/** Training rewrites config.json (an epochs run gets its step count, a conditional one its classes); the rest must match. */
function sameSettings(path: string, run: SweepRun): boolean {
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const want = run.config as unknown as Record<string, unknown>;
    const derived = (k: string) => (k === 'steps' && want.epochs !== null) || (k === 'numClasses' && want.numClasses === null);
    return Object.keys(want).every((k) => derived(k) || JSON.stringify(stored[k]) === JSON.stringify(want[k]));
  } catch {
    return false;
  }
}

export function readSweepManifest(sweepDir: string): SweepManifest {
  const path = join(sweepDir, 'sweep.json');
  if (!existsSync(path)) throw new UsageError(`${sweepDir} is not a sweep directory (no sweep.json); give --out DIR/<sweep name>`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SweepManifest;
  } catch {
    throw new UsageError(`${path} is not valid JSON; the sweep directory is damaged`);
  }
}
