import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { readSetting } from 'tfjs-backend-onednn/environment';
import { connectQueueRedis, redactUrl } from './redis.js';
import { runQueueName, type RunJobData, type RunProgress } from './jobs.js';
import { runFiles } from '../runFolder/files.js';
import { RunLock } from '../runFolder/lock.js';
import { MetricsTail } from '../runFolder/metricsTail.js';
import { plannedSteps, readRunOnDisk } from '../runFolder/records.js';

export interface WorkerSettings {
  redisUrl: string;
  /** Runs trained at once, each in its own process. */
  concurrency: number;
  /** Threads of each training process (GANTRY_THREADS of the child). */
  threads: number;
  /** Lines about what the worker does (stderr in the CLI). */
  log: (line: string) => void;
}

export interface RunResult {
  steps: number;
  bestFid: number | null;
  worker: string;
}

const gantryBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'gantry.js');

/**
 * How long a job's lock lives without renewal, and how often workers look for jobs whose
 * lock has lapsed (a dead worker's). BullMQ's defaults (30 s); tests shorten them.
 */
const lockMs = readSetting('GANTRY_QUEUE_LOCK_MS');
const stalledMs = readSetting('GANTRY_QUEUE_STALLED_MS');
const progressMs = Math.min(2000, lockMs / 4);

/**
 * Take runs from the queue and train each with `gantry train --out RUN --resume` in a child
 * process, until SIGTERM or SIGINT. The worker adds nothing to training: it locks the run
 * for the child, starts it, relays its progress to the job, and decides from the exit code
 * what the job becomes. A run handed over from a dead worker resumes from its last checkpoint, because
 * resuming is what the child always does.
 */
export async function runWorker(settings: WorkerSettings): Promise<void> {
  const connection = await connectQueueRedis(settings.redisUrl);
  const me = `${hostname()}:${process.pid}`;
  const { log } = settings;
  const children = new Map<string, ChildProcess>();
  const lostLocks = new Set<string>();
  let stopping = false;

  const worker = new Worker<RunJobData, RunResult>(runQueueName, (job, token) => trainRun(job, token), {
    connection,
    concurrency: settings.concurrency,
    name: me,
    lockDuration: lockMs,
    stalledInterval: stalledMs,
    // a run may outlive several machines; each death costs only the steps since its last checkpoint
    maxStalledCount: 5,
    autorun: false,
  });

  let lastErrorAt = 0;
  worker.on('error', (e) => {
    // a Redis restart makes every pending command fail at once; one line per few seconds is enough
    if (Date.now() - lastErrorAt < 5000) return;
    lastErrorAt = Date.now();
    log(`queue error (${redactUrl(settings.redisUrl)}): ${e.message}; retrying`);
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      // the job may be handed to another worker now: stop training it here (the child checkpoints first)
      lostLocks.add(id);
      children.get(id)?.kill('SIGTERM');
      log(`lost the lock of ${id}; stopping its training so another worker can take it`);
    }
  });

  async function trainRun(job: Job<RunJobData, RunResult>, token?: string): Promise<RunResult> {
    const id = job.id as string;
    const { dir } = job.data;
    const files = runFiles(dir);
    if (!existsSync(files.config)) {
      throw new Error(`${dir}/config.json is missing on ${hostname()}; every worker must see the sweep's storage at the same path`);
    }
    // The run's lock, taken before its trainer starts and handed to it (see RunLock): of two
    // workers given the same run, exactly one gets it. Held by a trainer still at work (this
    // job's earlier attempt that stalled and came back to the queue, on this machine or another,
    // or a run started by hand), the run waits for it and is tried again; it does not fail.
    const claim = RunLock.tryAcquire(dir);
    if (!(claim instanceof RunLock)) {
      log(`${id}: in use by process ${claim.holder.pid} on ${claim.holder.host}; trying again later`);
      await job.moveToDelayed(Date.now() + Math.max(1000, lockMs / 2), token);
      throw new DelayedError();
    }
    try {
      return await trainClaimed(job, token, claim);
    } finally {
      // the trainer owns the lock once it has started; this removes it only if it never got that far
      claim.release();
    }
  }

  async function trainClaimed(job: Job<RunJobData, RunResult>, token: string | undefined, claim: RunLock): Promise<RunResult> {
    const id = job.id as string;
    const { dir } = job.data;
    const before = readRunOnDisk(dir);
    log(`${id}: ${before.step > 0 ? `resuming at step ${before.step}` : 'starting'} (attempt ${job.attemptsMade + 1})`);
    const child = spawn(process.execPath, [gantryBin, 'train', '--out', dir, '--resume', '--quiet', '--threads', String(settings.threads)], {
      // stdin is a pipe the trainer watches: if this worker dies, the trainer checkpoints and stops
      // instead of training on unseen while the job is handed to another machine
      env: { ...process.env, GANTRY_STOP_WITH_PARENT: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
      // its own process group: a Ctrl-C at the worker's terminal reaches the worker only, which
      // then asks the child once (a second signal would make the child exit without checkpointing)
      detached: true,
    });
    children.set(id, child);
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr.push(...text.split('\n').filter(Boolean));
      if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
    });

    let reported = '';
    const metrics = new MetricsTail(runFiles(dir).metrics);
    let total = before.total;
    const report = async () => {
      await metrics.update().catch(() => false);
      // an --epochs run learns its step count when its data is loaded
      if (total === 0) total = plannedSteps(dir);
      const progress: RunProgress = {
        step: metrics.lastStep ?? 0,
        total,
        lastFid: metrics.lastFid?.value ?? null,
        bestFid: metrics.bestFid?.value ?? null,
        host: hostname(),
        pid: process.pid,
      };
      const key = JSON.stringify(progress);
      if (key === reported) return;
      reported = key;
      await job.updateProgress(progress as unknown as object).catch(() => undefined);
    };
    const timer = setInterval(() => void report(), progressMs);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: null, signal: null }));
    });
    clearInterval(timer);
    children.delete(id);
    await report();
    // the child is gone: a lock it never took over is ours to give back before the job moves on
    claim.release();

    const after = readRunOnDisk(dir);
    const lastLine = stderr[stderr.length - 1] ?? '';
    if (exit.code === 0) {
      log(`${id}: done at step ${after.step}${after.bestFid !== null ? `, best FID ${after.bestFid.toFixed(2)}` : ''}`);
      return { steps: after.step, bestFid: after.bestFid, worker: me };
    }
    if (stopping) {
      // SIGTERM: the child checkpointed; the job goes back to the queue for any worker
      log(`${id}: stopped at step ${after.step}; back in the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (lostLocks.delete(id)) throw new Error(`lost the job's lock at step ${after.step}; another worker continues it`);
    if (exit.code === 2) {
      // bad input (the config, the data, the run directory): trying again cannot help. (Not a run
      // in use: the lock was this worker's before the trainer started.)
      log(`${id}: failed: ${lastLine}`);
      throw new UnrecoverableError(lastLine || 'training refused its input (exit code 2)');
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    log(`${id}: training ${how} at step ${after.step}; will retry`);
    throw new Error(`training ${how} at step ${after.step}${lastLine ? `: ${lastLine}` : ''}`);
  }

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: checkpointing ${children.size} run(s) and handing them back to the queue`);
      for (const child of children.values()) child.kill('SIGTERM');
      void worker
        .close()
        .catch((e: Error) => log(`closing: ${e.message}`))
        .then(() => connection.quit().catch(() => connection.disconnect()))
        .then(() => resolve());
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

  log(`worker ${me} on ${redactUrl(settings.redisUrl)}: ${settings.concurrency} run(s) at a time, ${settings.threads} thread(s) each`);
  void worker.run().catch((e: Error) => log(`worker stopped: ${e.message}`));
  await stopped;
  log('stopped');
}
