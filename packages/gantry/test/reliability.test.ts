import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from 'gantry-core/errors.js';
import { RunCheckpoints } from 'gantry-core/run/checkpointStore.js';
import { CheckpointStore } from '../src/io/checkpoint.js';
import { FsRunStore } from '../src/io/fsRunStore.js';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { MetricsLog } from '../src/io/metricsLog.js';
import { train, TrainingDivergedError } from '../src/train/loop.js';
import { Rng } from 'gantry-core/util/random.js';
import { tempDir, tinyConfig, tinyConvNets, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');
const work = tempDir('gantry-rel-');
const configPath = join(work, 'tiny.json');
const env = { ...process.env, GANTRY_CACHE_DIR: join(work, 'cache') };
const trainArgs = (out: string, steps: number, extra: string[] = []) =>
  ['train', '--config', configPath, '--steps', String(steps), '--out', out, '--backend', 'cpu', '--quiet', '--checkpoint-every', '4', '--log-every', '4', '--sample-every', '8', ...extra];

test('setup', async () => {
  const set = tinyImages(40);
  await writeNpyFloat32(join(work, 'tiny.npy'), set.pixels01, [40, 8, 8, 1]);
  writeFileSync(configPath, JSON.stringify({ ...tinyConvNets, data: `npy:${join(work, 'tiny.npy')}`, batchSize: 4, sampleCount: 4 }));
});

function latestStep(out: string): number {
  try {
    return JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step as number;
  } catch {
    return 0;
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitFor(cond: () => boolean, ms = 60000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const finalWeights = (out: string, steps: number) => readFileSync(join(out, 'checkpoints', `step-${String(steps).padStart(9, '0')}`, 'weights.bin'));

test('SIGKILL at random moments, resumed each time, ends with the weights of an uninterrupted run', async () => {
  const steps = 120;
  const whole = join(work, 'whole');
  const r = spawnSync(process.execPath, [bin, ...trainArgs(whole, steps)], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);

  const killed = join(work, 'killed');
  const rng = new Rng(2024, 1, 0);
  let kills = 0;
  for (let round = 0; round < 4; round++) {
    const args = trainArgs(killed, steps, round > 0 ? ['--resume'] : []);
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'ignore' });
    const done = exited(child);
    const from = latestStep(killed);
    // wait until this process has made progress, then kill it at a random moment
    await Promise.race([waitFor(() => latestStep(killed) > from), done]);
    await new Promise((res) => setTimeout(res, rng.below(150)));
    child.kill('SIGKILL');
    const end = await done;
    if (end.signal === 'SIGKILL') kills++;
    if (latestStep(killed) === steps) break;
  }
  assert.ok(kills >= 2, `only ${kills} runs were killed mid-way`);
  const last = spawnSync(process.execPath, [bin, ...trainArgs(killed, steps, ['--resume'])], { env, encoding: 'utf8' });
  assert.equal(last.status, 0, last.stderr);
  assert.ok(finalWeights(killed, steps).equals(finalWeights(whole, steps)), 'final weights differ from the uninterrupted run');
  const strip = (p: string) => MetricsLog.read(p).map((m) => JSON.stringify(Object.entries(m).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('time/'))));
  assert.deepEqual(strip(join(killed, 'metrics.jsonl')), strip(join(whole, 'metrics.jsonl')));
});

test('SIGTERM writes a checkpoint of the current step and exits cleanly; the run resumes', async () => {
  const out = join(work, 'term');
  const child = spawn(process.execPath, [bin, ...trainArgs(out, 100000, ['--checkpoint-every', '1000000'])], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = exited(child);
  await waitFor(() => existsSync(join(out, 'metrics.jsonl')) && readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').length > 3);
  child.kill('SIGTERM');
  const end = await done;
  assert.equal(end.code, 143, stderr);
  assert.match(stderr, /stopped by SIGTERM at step \d+.*--resume/);
  const step = latestStep(out);
  assert.ok(step > 0, 'no checkpoint written on SIGTERM');
  assert.equal(existsSync(join(out, 'train.lock')), false, 'lock left behind');
  const again = spawnSync(process.execPath, [bin, ...trainArgs(out, step + 4, ['--resume'])], { env, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(latestStep(out), step + 4);
});

test('two trainings on one run directory cannot both run; a stale lock is taken over', async () => {
  const out = join(work, 'locked');
  const first = spawn(process.execPath, [bin, ...trainArgs(out, 100000)], { env, stdio: 'ignore' });
  const firstDone = exited(first);
  await waitFor(() => existsSync(join(out, 'train.lock')) && latestStep(out) > 0);
  const second = spawnSync(process.execPath, [bin, ...trainArgs(out, 100000, ['--resume'])], { env, encoding: 'utf8' });
  assert.equal(second.status, 2);
  assert.match(second.stderr.trim(), new RegExp(`in use by training process ${first.pid}`));
  first.kill('SIGKILL');
  await firstDone;
  // the killed process left its lock behind: it is stale and the next run takes it over
  assert.ok(existsSync(join(out, 'train.lock')));
  const step = latestStep(out);
  const third = spawnSync(process.execPath, [bin, ...trainArgs(out, step + 2, ['--resume'])], { env, encoding: 'utf8' });
  assert.equal(third.status, 0, third.stderr);
});

const gentle = () => tinyConfig({ steps: 4, checkpointEvery: 4, loss: 'least-squares', optimizerG: { kind: 'sgd', learningRate: 0.01 }, optimizerD: { kind: 'sgd', learningRate: 0.01 } });
const blowUp = (steps: number, onDivergence: 'stop' | 'lower-lr' = 'stop') =>
  tinyConfig({ steps, loss: 'least-squares', optimizerG: { kind: 'sgd', learningRate: 10 }, optimizerD: { kind: 'sgd', learningRate: 10 }, checkpointEvery: 2, logEvery: 1, onDivergence });

test('divergence is caught, rolled back to the last good checkpoint, and reported', async () => {
  const out = join(work, 'diverge');
  const data = tinyImages();
  const ok = await train({ config: gentle(), out, data, quiet: true });
  ok.gan.dispose();
  await assert.rejects(
    train({ config: { ...blowUp(200), steps: 200 }, out, data, quiet: true, resume: true }),
    (e: unknown) => e instanceof TrainingDivergedError && /diverged at step \d+ .*rolled back to the checkpoint of step \d+/.test(e.message),
  );
  const store = new CheckpointStore(out);
  const loaded = store.load();
  assert.ok(Array.from(loaded.weights).every(Number.isFinite), 'a poisoned checkpoint was written');
  assert.ok(MetricsLog.read(join(out, 'metrics.jsonl')).some((r) => r.event === 'diverged'));
});

test('with onDivergence "lower-lr" the run rolls back and halves the learning rates, at most 3 times', async () => {
  const out = join(work, 'lower');
  const data = tinyImages();
  const ok = await train({ config: gentle(), out, data, quiet: true });
  ok.gan.dispose();
  await assert.rejects(train({ config: blowUp(400, 'lower-lr'), out, data, quiet: true, resume: true }), TrainingDivergedError);
  const events = MetricsLog.read(join(out, 'metrics.jsonl')).filter((r) => r.event === 'diverged');
  assert.equal(events.length, 4);
  assert.ok(new CheckpointStore(out).load().manifest.counters.learningRateScaleG <= 1);
});

test('divergence before the first checkpoint stops with a clear message', async () => {
  await assert.rejects(
    train({ config: { ...blowUp(200), checkpointEvery: 1000 }, out: join(work, 'early'), data: tinyImages(), quiet: true }),
    (e: unknown) => e instanceof TrainingDivergedError && /before the first checkpoint/.test(e.message),
  );
});

test('an unwritable checkpoint directory is a clear error and the previous checkpoint stays intact', async () => {
  const out = join(work, 'unwritable');
  const r = await train({ config: tinyConfig({ steps: 2, checkpointEvery: 2 }), out, data: tinyImages(), quiet: true });
  const store = new CheckpointStore(out);
  const before = store.load();
  // a file where the temporary checkpoint directory must go
  const { rmSync, mkdirSync } = await import('node:fs');
  rmSync(join(out, 'checkpoints', 'latest.json'));
  writeFileSync(join(out, 'checkpoints', 'latest.json'), JSON.stringify({ step: 2, dir: 'step-000000002' }));
  mkdirSync(join(out, 'blocked'));
  const blocked = new RunCheckpoints(new FsRunStore(join(out, 'blocked')));
  writeFileSync(join(out, 'blocked', 'checkpoints'), 'a file, not a directory');
  await assert.rejects(blocked.save(3, r.gan.namedState(), r.gan.counters(), {}, 3), (e: unknown) => e instanceof UsageError && /cannot write checkpoint step-000000003 .*(ENOTDIR|EEXIST)/.test(e.message));
  assert.deepEqual(store.load().weights, before.weights);
  r.gan.dispose();
});

test('an --out that cannot be created gives exit code 2', () => {
  writeFileSync(join(work, 'plainfile'), 'x');
  const r = spawnSync(process.execPath, [bin, ...trainArgs(join(work, 'plainfile', 'run'), 2)], { env, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim(), /cannot create run directory/);
});
