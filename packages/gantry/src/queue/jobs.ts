import type { Queue } from 'bullmq';
import { readSetting } from 'tfjs-backend-onednn/environment';

/** Every sweep's runs share one queue; a job id is `<sweep>/<run>`, unique across sweeps. */
export const runQueueName = 'gantry-runs';

/** What a job carries: where its run directory is (the same path on every machine). */
export interface RunJobData {
  sweep: string;
  run: string;
  /** Absolute path of the run directory, on storage every worker mounts at the same place. */
  dir: string;
}

/** What a worker reports while a run trains (job.progress). */
export interface RunProgress {
  step: number;
  total: number;
  lastFid: number | null;
  bestFid: number | null;
  host: string;
  pid: number;
}

export const runJobId = (sweep: string, run: string): string => `${sweep}/${run}`;

/**
 * A failed attempt (a crash, a killed child, a full disk) is retried after a growing wait;
 * bad input is not (the worker raises UnrecoverableError). GANTRY_QUEUE_BACKOFF_MS shortens
 * the wait for tests.
 */
export function runJobOptions(): { attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: false; removeOnFail: false } {
  const delay = readSetting('GANTRY_QUEUE_BACKOFF_MS');
  return { attempts: 3, backoff: { type: 'exponential', delay }, removeOnComplete: false, removeOnFail: false };
}

/** Add one job per run; a run whose job already exists (queued, running or done) is left alone. */
export async function enqueueRuns(queue: Queue<RunJobData>, runs: RunJobData[]): Promise<{ added: string[]; existing: string[] }> {
  const added: string[] = [];
  const existing: string[] = [];
  const chunk = 200;
  for (let i = 0; i < runs.length; i += chunk) {
    const part = runs.slice(i, i + chunk);
    const found = await Promise.all(part.map((r) => queue.getJob(runJobId(r.sweep, r.run))));
    const fresh = part.filter((r, k) => {
      if (found[k]) existing.push(runJobId(r.sweep, r.run));
      return !found[k];
    });
    // the job id makes adding idempotent even if another submitter races us
    await queue.addBulk(fresh.map((r) => ({ name: 'train', data: r, opts: { ...runJobOptions(), jobId: runJobId(r.sweep, r.run) } })));
    added.push(...fresh.map((r) => runJobId(r.sweep, r.run)));
  }
  return { added, existing };
}
