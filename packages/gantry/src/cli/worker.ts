import { availableCores } from '../backend.js';
import { UsageError } from 'gantry-core/errors.js';
import { runWorker } from '../queue/worker.js';
import { intFlag, parseFlags, stringFlag } from './args.js';

export const workerHelp = `gantry worker --redis URL [--concurrency N] [--threads T]

Train queued sweep runs (see 'gantry sweep') until stopped. Each run trains in its own
'gantry train --out RUN --resume' process, so a run left by a dead worker resumes from its
last checkpoint. Run directories must be at the same path on every machine (shared storage).
SIGTERM or Ctrl-C: the runs checkpoint and go back to the queue, and the worker exits 0.

  --redis URL             the queue's Redis, e.g. redis://10.0.0.5:6379
  --concurrency N         runs trained at once (default 1)
  --threads T             threads of each training process (default: the available cores
                          divided by N, at least 1)`;

export async function workerCommand(argv: string[]): Promise<void> {
  const v = parseFlags('worker', argv, { redis: { type: 'string' }, concurrency: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    console.log(workerHelp);
    return;
  }
  const redisUrl = stringFlag(v, 'redis');
  if (!redisUrl) throw new UsageError('--redis URL is needed: the Redis that holds the sweep queue');
  const concurrency = intFlag(v, 'concurrency', 1, 256) ?? 1;
  await runWorker({
    redisUrl,
    concurrency,
    // side-by-side runs share the cores rather than each asking for all of them
    threads: intFlag(v, 'threads', 1, 1024) ?? Math.max(1, Math.floor(availableCores() / concurrency)),
    log: (line) => console.error(`gantry worker: ${line}`),
  });
}
