import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { MetricsLog } from '../src/io/metricsLog.js';
import { runQueueName, runJobId } from '../src/queue/jobs.js';
import { RedisFixture } from './queueFixtures.js';
import { tempDir, tinyConvNets, tinyImages } from './fixtures.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');
const work = tempDir('gantry-queue-worker-');
// short locks and stalled checks, so a dead worker's run is handed on within seconds
const env = {
  ...process.env,
  GANTRY_CACHE_DIR: join(work, 'cache'),
  GANTRY_QUEUE_LOCK_MS: '2000',
  GANTRY_QUEUE_STALLED_MS: '1000',
  GANTRY_QUEUE_BACKOFF_MS: '500',
};
const steps = 60;
let redis: RedisFixture;
let connection: Redis;
let queue: Queue;

before(async () => {
  const set = tinyImages(40);
  await writeNpyFloat32(join(work, 'tiny.npy'), set.pixels01, [40, 8, 8, 1]);
  redis = await RedisFixture.start(tempDir('gantry-redis-'));
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  // the Redis restart test takes the server away for a moment
  connection.on('error', () => undefined);
  queue = new Queue(runQueueName, { connection });
});

after(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await queue.close();
  connection.disconnect();
  await redis.stop();
});

function writeSpec(name: string, seeds: number[], extra: Record<string, unknown> = {}): string {
  const path = join(work, `${name}.json`);
  const base = {
    ...JSON.parse(JSON.stringify(tinyConvNets)),
    data: `npy:${join(work, 'tiny.npy')}`,
    batchSize: 4, sampleCount: 4, steps, logEvery: 5, checkpointEvery: 5, sampleEvery: steps, backend: 'cpu',
    ...extra,
  };
  writeFileSync(path, JSON.stringify({ name, base, seeds }));
  return path;
}

function gantry(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
}

interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const workers: WorkerProcess[] = [];

/** Kill what a failed test left running, so it cannot take the next test's jobs. */
function killLeftoverWorkers(): void {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  workers.length = 0;
}

function startWorker(): WorkerProcess {
  const child = spawn(process.execPath, [bin, 'worker', '--redis', redis.url], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const w = { child, log: () => text, exited };
  workers.push(w);
  return w;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 120000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; the workers said:\n${workers.map((w) => w.log()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const checkpointStep = (runDir: string): number => {
  try {
    return JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest.json'), 'utf8')).step as number;
  } catch {
    return 0;
  }
};
const lockPid = (runDir: string): number | null => {
  try {
    return JSON.parse(readFileSync(join(runDir, 'train.lock'), 'utf8')).pid as number;
  } catch {
    return null;
  }
};
const parentPid = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
const finalWeights = (runDir: string) => readFileSync(join(runDir, 'checkpoints', `step-${String(steps).padStart(9, '0')}`, 'weights.bin'));

async function states(sweep: string, runs: string[]): Promise<string[]> {
  return Promise.all(runs.map(async (r) => (await queue.getJob(runJobId(sweep, r)))?.getState() ?? 'missing'));
}

/** The run trained alone, start to end, by `gantry train` with the run's own config.json. */
function trainAlone(runDir: string, out: string): Buffer {
  const r = gantry(['train', '--config', join(runDir, 'config.json'), '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return finalWeights(out);
}

function assertNoStepTwice(runDir: string): void {
  const seen = new Set<string>();
  for (const r of MetricsLog.read(join(runDir, 'metrics.jsonl'))) {
    const key = `${r.step}:${r.event ?? (r['eval/fid'] !== undefined ? 'eval' : 'train')}`;
    assert.ok(!seen.has(key), `${runDir}: step ${r.step} logged twice`);
    seen.add(key);
  }
  assert.ok(seen.has(`${steps}:train`), `${runDir}: the last step is not in metrics.jsonl`);
}

test('4 runs, 2 workers, one killed with its child mid-run, a third joins: all finish with the weights of runs trained alone', async () => {
  const spec = writeSpec('kill', [0, 1, 2, 3]);
  const sweepOut = join(work, 'sweeps');
  const r = gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]);
  assert.equal(r.status, 0, r.stderr);
  const runs = ['seed-0', 'seed-1', 'seed-2', 'seed-3'];
  const dirs = runs.map((name) => join(sweepOut, 'kill', name));

  const a = startWorker();
  const b = startWorker();
  // a run in the middle: a checkpoint written, the end not reached, its trainer alive
  let victim = -1;
  await waitFor('a run in mid-training', () => {
    victim = dirs.findIndex((d) => checkpointStep(d) >= 5 && checkpointStep(d) < steps - 15 && lockPid(d) !== null);
    return victim >= 0;
  });
  const child = lockPid(dirs[victim])!;
  const workerPid = parentPid(child);
  const killed = [a, b].find((w) => w.child.pid === workerPid);
  assert.ok(killed, `the trainer ${child} of ${runs[victim]} is not a worker's child`);
  const stepAtKill = checkpointStep(dirs[victim]);
  process.kill(workerPid, 'SIGKILL');
  process.kill(child, 'SIGKILL');
  assert.equal((await killed.exited).signal, 'SIGKILL');

  startWorker();
  await waitFor('every run to complete', async () => (await states('kill', runs)).every((s) => s === 'completed'), 240000);

  const survivorLog = workers.filter((w) => w !== killed).map((w) => w.log()).join('\n');
  assert.match(survivorLog, new RegExp(`kill/${runs[victim]}: resuming at step (\\d+)`), 'the killed run was not resumed from its checkpoint');
  const resumedAt = Number(new RegExp(`kill/${runs[victim]}: resuming at step (\\d+)`).exec(survivorLog)![1]);
  assert.ok(resumedAt >= stepAtKill, `resumed at step ${resumedAt}, before the checkpoint of step ${stepAtKill}`);
  for (let i = 0; i < runs.length; i++) {
    assertNoStepTwice(dirs[i]);
    assert.ok(finalWeights(dirs[i]).equals(trainAlone(dirs[i], join(work, 'alone-kill', runs[i]))), `${runs[i]}: final weights differ from the run trained alone`);
  }
  for (const w of workers) if (w !== killed) w.child.kill('SIGTERM');
  for (const w of workers) if (w !== killed) assert.equal((await w.exited).code, 0, w.log());
  workers.length = 0;
});

test('SIGTERM to a worker: its run checkpoints, goes back to the queue and finishes on another worker; no step is logged twice', async () => {
  killLeftoverWorkers();
  const a = startWorker();
  const b = startWorker();
  await waitFor('both workers to start', () => [a, b].every((w) => w.log().includes('run(s) at a time')));
  const spec = writeSpec('term', [5]);
  const sweepOut = join(work, 'sweeps');
  assert.equal(gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]).status, 0);
  // a sweep of one run: nothing differs, so the run is called 'run'
  const dir = join(sweepOut, 'term', 'run');
  await waitFor('the run to checkpoint', () => checkpointStep(dir) >= 5 && checkpointStep(dir) < steps - 15 && lockPid(dir) !== null);
  const holder = [a, b].find((w) => w.child.pid === parentPid(lockPid(dir)!))!;
  const other = holder === a ? b : a;
  holder.child.kill('SIGTERM');
  const end = await holder.exited;
  assert.equal(end.code, 0, holder.log());
  assert.match(holder.log(), /term\/run: stopped at step \d+; back in the queue/);
  await waitFor('the run to complete', async () => (await states('term', ['run']))[0] === 'completed');
  assert.match(other.log(), /term\/run: resuming at step \d+/);
  assertNoStepTwice(dir);
  assert.ok(finalWeights(dir).equals(trainAlone(dir, join(work, 'alone-term'))), 'final weights differ from the run trained alone');
  other.child.kill('SIGTERM');
  assert.equal((await other.exited).code, 0);
  workers.length = 0;
});

test('kill -9 of a worker alone: its trainer notices, checkpoints and stops, and the run resumes on another worker', async () => {
  killLeftoverWorkers();
  const a = startWorker();
  const b = startWorker();
  await waitFor('both workers to start', () => [a, b].every((w) => w.log().includes('run(s) at a time')));
  const spec = writeSpec('orphan', [7]);
  const sweepOut = join(work, 'sweeps');
  assert.equal(gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]).status, 0);
  const dir = join(sweepOut, 'orphan', 'run');
  await waitFor('the run to checkpoint', () => checkpointStep(dir) >= 5 && checkpointStep(dir) < steps - 15 && lockPid(dir) !== null);
  const trainer = lockPid(dir)!;
  const holder = [a, b].find((w) => w.child.pid === parentPid(trainer))!;
  const other = holder === a ? b : a;
  holder.child.kill('SIGKILL');
  await waitFor('the orphaned trainer to stop', () => {
    try {
      process.kill(trainer, 0);
      return false;
    } catch {
      return true;
    }
  }, 30000);
  // it stopped mid-run (with a checkpoint of the step it was on), not at the end
  const stoppedAt = checkpointStep(dir);
  assert.ok(stoppedAt < steps, `the orphaned trainer ran on to step ${stoppedAt}`);
  await waitFor('the run to complete', async () => (await states('orphan', ['run']))[0] === 'completed');
  assert.equal(Number(/orphan\/run: resuming at step (\d+)/.exec(other.log())?.[1]), stoppedAt);
  assertNoStepTwice(dir);
  assert.ok(finalWeights(dir).equals(trainAlone(dir, join(work, 'alone-orphan'))), 'final weights differ from the run trained alone');
  other.child.kill('SIGTERM');
  assert.equal((await other.exited).code, 0);
  workers.length = 0;
});

test('a stalled job comes back while its old trainer still holds the run: the run waits, is not failed, and trains on from where that trainer stopped, each step once', async () => {
  killLeftoverWorkers();
  const a = startWorker();
  await waitFor('the worker to start', () => a.log().includes('run(s) at a time'));
  const spec = writeSpec('stall', [9]);
  const sweepOut = join(work, 'sweeps');
  assert.equal(gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]).status, 0);
  const dir = join(sweepOut, 'stall', 'run');
  // the trainer (not the worker, which holds the lock only until its trainer takes it) has the run
  await waitFor('the run to checkpoint', () => checkpointStep(dir) >= 5 && checkpointStep(dir) < steps - 15 && lockPid(dir) !== null && lockPid(dir) !== a.child.pid);
  const oldTrainer = lockPid(dir)!;
  try {
    assert.equal(parentPid(oldTrainer), a.child.pid);
    // The worker stalls (no lock renewal, so the job goes back to the queue), and for now its trainer
    // stalls with it, keeping the run's lock while the job is handed on.
    process.kill(oldTrainer, 'SIGSTOP');
    process.kill(a.child.pid!, 'SIGSTOP');
    const b = startWorker();
    await waitFor('the returned job to find its run in use', () => b.log().includes(`stall/run: in use by process ${oldTrainer} on ${hostname()}; trying again later`), 60000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.notEqual((await states('stall', ['run']))[0], 'failed');
    assert.doesNotMatch(b.log(), /stall\/run: (starting|resuming)/, 'a second trainer was started on a run in use');
    assert.equal(lockPid(dir), oldTrainer);
    // the old trainer goes on and is stopped: it checkpoints the step it is on and lets go of the run
    process.kill(oldTrainer, 'SIGTERM');
    process.kill(oldTrainer, 'SIGCONT');
    await waitFor('the old trainer to let go of the run', () => lockPid(dir) !== oldTrainer, 60000);
    const stoppedAt = checkpointStep(dir);
    assert.ok(stoppedAt < steps, `the old trainer ran on to step ${stoppedAt}`);
    await waitFor('the run to complete', async () => (await states('stall', ['run']))[0] === 'completed', 240000);
    assert.equal(Number(/stall\/run: resuming at step (\d+)/.exec(b.log())?.[1]), stoppedAt, b.log());
    assertNoStepTwice(dir);
    assert.ok(finalWeights(dir).equals(trainAlone(dir, join(work, 'alone-stall'))), 'final weights differ from the run trained alone');
    a.child.kill('SIGKILL');
    await a.exited;
    b.child.kill('SIGTERM');
    assert.equal((await b.exited).code, 0);
    workers.length = 0;
  } finally {
    // a failed check must not leave the stopped trainer behind
    if (lockPid(dir) === oldTrainer) process.kill(oldTrainer, 'SIGKILL');
  }
});

test('Redis killed and restarted mid-sweep (append-only file): no job lost, none run twice, all finish', async () => {
  killLeftoverWorkers();
  const spec = writeSpec('restart', [0, 1]);
  const sweepOut = join(work, 'sweeps');
  assert.equal(gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]).status, 0);
  const runs = ['seed-0', 'seed-1'];
  const dirs = runs.map((name) => join(sweepOut, 'restart', name));
  const w1 = startWorker();
  const w2 = startWorker();
  await waitFor('training under way', () => dirs.some((d) => checkpointStep(d) >= 5));
  // Down for 0.4 s, well inside the jobs' 2 s locks: their reconnection attempts are refused (and
  // reported) first. Restarted at once, the clients could reconnect before they noticed anything.
  await redis.restart(400);
  await waitFor('every run to complete', async () => (await states('restart', runs)).every((s) => s === 'completed'), 240000);
  const logs = w1.log() + w2.log();
  for (let i = 0; i < runs.length; i++) {
    const id = `restart/${runs[i]}`;
    const starts = logs.split('\n').filter((l) => l.includes(`${id}: starting`) || l.includes(`${id}: resuming`));
    assert.equal(starts.length, 1, `${id} was started ${starts.length} times:\n${logs}`);
    const job = await queue.getJob(id);
    assert.equal(job?.attemptsStarted, 1, `${id} started ${job?.attemptsStarted} times`);
    assert.equal(job?.stalledCounter, 0);
    assertNoStepTwice(dirs[i]);
    assert.ok(existsSync(join(dirs[i], 'checkpoints', `step-${String(steps).padStart(9, '0')}`)));
  }
  assert.match(logs, /queue error/, 'the workers never noticed Redis going away');
  for (const w of [w1, w2]) w.child.kill('SIGTERM');
  for (const w of [w1, w2]) assert.equal((await w.exited).code, 0);
  workers.length = 0;
});

test('a run that fails on bad input is not retried; a crashed trainer is retried and finishes', async () => {
  killLeftoverWorkers();
  const spec = join(work, 'bad.json');
  const base = { ...JSON.parse(JSON.stringify(tinyConvNets)), batchSize: 4, sampleCount: 4, steps: 20, checkpointEvery: 5, backend: 'cpu' };
  writeFileSync(spec, JSON.stringify({ name: 'bad', base, grid: { data: [`npy:${join(work, 'missing.npy')}`, `npy:${join(work, 'tiny.npy')}`] } }));
  const sweepOut = join(work, 'sweeps');
  const r = gantry(['sweep', spec, '--redis', redis.url, '--out', sweepOut]);
  assert.equal(r.status, 0, r.stderr);
  const [missing, good] = JSON.parse(readFileSync(join(sweepOut, 'bad', 'sweep.json'), 'utf8')).runs.map((x: { name: string }) => x.name);
  const w = startWorker();
  await waitFor('the bad run to fail', async () => (await states('bad', [missing]))[0] === 'failed');
  const failed = await queue.getJob(runJobId('bad', missing));
  assert.equal(failed?.attemptsMade, 1, 'a bad-input failure was retried');
  assert.match(failed?.failedReason ?? '', /missing\.npy/);
  // kill the good run's trainer (not the worker): an ordinary failure, retried after a backoff
  const goodDir = join(sweepOut, 'bad', good);
  await waitFor('the good run to train', () => checkpointStep(goodDir) >= 5 && lockPid(goodDir) !== null);
  process.kill(lockPid(goodDir)!, 'SIGKILL');
  await waitFor('the good run to complete', async () => (await states('bad', [good]))[0] === 'completed');
  assert.match(w.log(), new RegExp(`bad/${good}: training was killed by SIGKILL at step \\d+; will retry`));
  assert.equal((await queue.getJob(runJobId('bad', good)))?.attemptsMade, 2);
  w.child.kill('SIGTERM');
  assert.equal((await w.exited).code, 0);
  workers.length = 0;
});
