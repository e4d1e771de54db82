import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunState } from 'gantry-core/dashboard/wire.js';

export interface FixtureRun {
  /** Metrics lines every 10 steps up to this step. */
  lastStep: number;
  totalSteps: number;
  /** latest.json's step, or null for none. */
  checkpoint: number | null;
  lock?: 'live' | 'dead';
  /** End the log with a diverged event. */
  diverged?: boolean;
  /** Add eval/fid records with these values (every 50 steps). */
  fids?: number[];
  /** End the file with half a line. */
  torn?: boolean;
  preset?: string;
  samples?: number[];
  lossScale?: number;
}

/** A pid that belonged to a process that has exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

/** One run folder as the trainer leaves it, in the state the options describe. */
export function writeFixtureRun(dir: string, o: FixtureRun): void {
  mkdirSync(join(dir, 'samples'), { recursive: true });
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const config = { preset: o.preset ?? 'seed-mlp', data: 'mnist', steps: o.totalSteps, seed: 0, batchSize: 32, latentDim: 100, untilFid: null, optimizerD: { kind: 'adam', learningRate: 0.001 * (o.lossScale ?? 1) } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const lines: string[] = [];
  const scale = o.lossScale ?? 1;
  for (let step = 10; step <= o.lastStep; step += 10) {
    lines.push(JSON.stringify({ step, epoch: 0, 'loss/D': scale * (1 + Math.sin(step / 40)), 'loss/G': scale * (2 + Math.cos(step / 30)), 'D/real': 0.6, 'D/fake': 0.3, 'perf/images_per_s': 1000, 'perf/ms_per_step': 5, 'time/elapsed_s': step * 0.005 }));
    const k = step / 50 - 1;
    if (o.fids && step % 50 === 0 && k < o.fids.length) lines.push(JSON.stringify({ step, 'eval/fid': o.fids[k], 'eval/kid': o.fids[k] / 1000 }));
  }
  if (o.diverged) lines.push(JSON.stringify({ step: o.lastStep + 10, event: 'diverged', detail: 'L_D = NaN, L_G = NaN' }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => l + '\n').join('') + (o.torn ? '{"step":99999,"loss/D":0.5' : ''));
  if (o.checkpoint !== null) writeFileSync(join(dir, 'checkpoints', 'latest.json'), JSON.stringify({ step: o.checkpoint, dir: `step-${String(o.checkpoint).padStart(9, '0')}` }) + '\n');
  if (o.lock) {
    const pid = o.lock === 'live' ? process.pid : deadPid();
    writeFileSync(join(dir, 'train.lock'), JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString() }) + '\n');
  }
  for (const s of o.samples ?? []) writeFileSync(join(dir, 'samples', `step-${String(s).padStart(9, '0')}.png`), tinyPng);
}

/** A valid 1x1 grey PNG. */
const tinyPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVQI12NoAAAAggCB3UNq9AAAAABJRU5ErkJggg==', 'base64');

/** A root with one run in each state, and the state each must show. */
export function writeFixtureRoot(root: string): Record<string, RunState> {
  writeFixtureRun(join(root, 'mlp-running'), { lastStep: 200, totalSteps: 1000, checkpoint: 100, lock: 'live', samples: [100, 200] });
  writeFixtureRun(join(root, 'mlp-finished'), { lastStep: 500, totalSteps: 500, checkpoint: 500, fids: [90, 60, 45, 50, 41], samples: [100, 200, 300, 400, 500] });
  writeFixtureRun(join(root, 'mlp-stopped'), { lastStep: 300, totalSteps: 1000, checkpoint: 300, lossScale: 1.5 });
  writeFixtureRun(join(root, 'mlp-diverged'), { lastStep: 150, totalSteps: 1000, checkpoint: 100, diverged: true });
  writeFixtureRun(join(root, 'mlp-killed'), { lastStep: 250, totalSteps: 1000, checkpoint: 200, lock: 'dead', torn: true });
  writeFixtureRun(join(root, 'sweep', 'mlp-crashed-without-lock'), { lastStep: 120, totalSteps: 1000, checkpoint: 100 });
  return {
    'mlp-running': 'running',
    'mlp-finished': 'finished',
    'mlp-stopped': 'stopped',
    'mlp-diverged': 'diverged',
    'mlp-killed': 'crashed',
    'sweep/mlp-crashed-without-lock': 'crashed',
  };
}
