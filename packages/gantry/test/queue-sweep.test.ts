import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { UsageError } from 'gantry-core/errors.js';
import { runQueueName } from '../src/queue/jobs.js';
import { connectQueueRedis } from '../src/queue/redis.js';
import { formatLeaderboard, leaderboard } from '../src/queue/results.js';
import { countSweepRuns, expandSweep, validateSweepSpec, type SweepSpec } from '../src/queue/spec.js';
import { writeSweepDirectory } from '../src/queue/sweepDirectory.js';
import { RedisFixture, freePort } from './queueFixtures.js';
import { tempDir } from './fixtures.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');
const work = tempDir('gantry-queue-sweep-');
const env = { ...process.env, GANTRY_CACHE_DIR: join(work, 'cache') };
let redis: RedisFixture;
let connection: Redis;
let queue: Queue;

before(async () => {
  redis = await RedisFixture.start(tempDir('gantry-redis-'));
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue(runQueueName, { connection });
});

after(async () => {
  await queue.close();
  connection.disconnect();
  await redis.stop();
});

/** Redis keys of queued jobs (the queue's own metadata key aside). */
const jobKeys = async () => (await connection.keys(`bull:${runQueueName}:*`)).filter((k) => !k.endsWith(':meta'));

const base = { preset: 'seed-mlp', steps: 50, batchSize: 8, backend: 'cpu' };

function gantry(args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60000 });
  return { ...r, ms: Date.now() - t0 };
}

function specFile(name: string, spec: unknown): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

test('a grid, random draws and seeds expand to their product, named by the values that differ', () => {
  const spec = validateSweepSpec({
    name: 'lr',
    base,
    grid: { loss: ['non-saturating', 'minimax'], 'optimizerG.learningRate': [0.0002] },
    random: { count: 3, seed: 4, params: { 'optimizerD.learningRate': { distribution: 'log-uniform', min: 1e-5, max: 1e-3 }, labelSmoothing: { distribution: 'uniform', min: 0, max: 0.2 } } },
    seeds: [0, 1],
  });
  assert.equal(countSweepRuns(spec), 12);
  const runs = expandSweep(spec);
  assert.equal(runs.length, 12);
  assert.equal(new Set(runs.map((r) => r.name)).size, 12);
  for (const run of runs) {
    // the single-valued grid key is the same everywhere, so it is not in the name
    assert.ok(!run.name.includes('optimizerG'), run.name);
    assert.match(run.name, /^loss-(non-saturating|minimax)_labelSmoothing-[\d.]+_optimizerD\.learningRate-[\d.e-]+_seed-[01]$/);
    assert.equal(run.config.optimizerG.learningRate, 0.0002);
    assert.equal(run.config.loss, run.params.loss);
    assert.equal(run.config.seed, run.params.seed);
    assert.equal(run.config.optimizerD.learningRate, run.params['optimizerD.learningRate']);
    const lr = run.config.optimizerD.learningRate;
    assert.ok(lr >= 1e-5 && lr <= 1e-3, String(lr));
    assert.ok(run.config.labelSmoothing >= 0 && run.config.labelSmoothing <= 0.2);
    // the rest comes from the base and the preset
    assert.equal(run.config.steps, 50);
    assert.equal(run.config.preset, 'seed-mlp');
    assert.deepEqual({ ...run.config.optimizerG }, { ...runs[0].config.optimizerG });
  }
  // three distinct draws, each paired with every grid point and seed
  assert.equal(new Set(runs.map((r) => r.config.optimizerD.learningRate)).size, 3);
  // the same spec always makes the same runs
  assert.deepEqual(expandSweep(spec).map((r) => [r.name, r.config]), runs.map((r) => [r.name, r.config]));
  // another draw seed makes other draws
  const other = expandSweep({ ...spec, random: { ...spec.random!, seed: 5 } });
  assert.notDeepEqual(other.map((r) => r.config.optimizerD.learningRate), runs.map((r) => r.config.optimizerD.learningRate));
});

test('choice draws, object values and a single run get usable names', () => {
  const runs = expandSweep(validateSweepSpec({
    name: 'reg',
    base,
    grid: { regularizer: [null, { kind: 'r1', weight: 10 }] },
    random: { count: 2, params: { loss: { distribution: 'choice', values: ['hinge'] } } },
  }));
  // both draws pick the only choice: the draw number keeps the names apart
  assert.deepEqual(runs.map((r) => r.name), ['regularizer-null_draw-0', 'regularizer-null_draw-1', 'regularizer-v1_draw-0', 'regularizer-v1_draw-1']);
  assert.deepEqual(runs[2].config.regularizer, { kind: 'r1', weight: 10, every: 1 });
  assert.deepEqual(expandSweep(validateSweepSpec({ name: 'one', base })).map((r) => r.name), ['run']);
});

test('bad specs are refused with one line naming the problem', () => {
  const refuse = (spec: unknown, message: RegExp) => {
    assert.throws(() => expandSweep(validateSweepSpec(spec)), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));
  };
  refuse({ name: 'x', base, grdi: {} }, /unknown key 'grdi' at the top level; known keys: name, base, grid, random, seeds/);
  refuse({ name: 'x', base, grid: {} }, /grid is empty/);
  refuse({ name: 'x', base, grid: { loss: [] } }, /grid\.loss is empty/);
  refuse({ name: 'x', base, seeds: 'three' }, /seeds must be array, got "three"/);
  refuse({ name: 'x', base, seeds: [-1] }, /seeds\.0 must be >= 0/);
  refuse({ name: 'x y', base }, /name must be letters/);
  refuse({ name: 'x', base, grid: { 'optimizerG.learningRate': [20] } }, /optimizerG\.learningRate must be a number in \[0, 10\], got 20/);
  refuse({ name: 'x', base, grid: { batchSize: [0] } }, /batchSize must be an integer from 1/);
  refuse({ name: 'x', base, grid: { lerningRate: [1] } }, /unknown key 'lerningRate'/);
  refuse({ name: 'x', base, grid: { 'regularizer.weight': [1] } }, /regularizer is null in the base config/);
  refuse({ name: 'x', base, random: { count: 2, params: { labelFlip: { distribution: 'log-uniform', min: 0, max: 0.1 } } } }, /log-uniform needs min above 0/);
  refuse({ name: 'x', base, random: { count: 2, params: { labelFlip: { distribution: 'gaussian', min: 0, max: 0.1 } } } }, /random\.params\.labelFlip/);
  refuse({ name: 'x', base, grid: { preset: ['dcgan-mnist'] } }, /cannot vary within a sweep/);
  refuse({ name: 'x', base, grid: { seed: [1] }, seeds: [1, 2] }, /seed is varied by "seeds"/);
  refuse({ name: 'x', base, grid: { batchSize: [8, 16, 32, 64] }, random: { count: 2501, params: { labelSmoothing: { distribution: 'uniform', min: 0, max: 0.1 } } } }, /10004 runs, more than the 10000/);
});

test('gantry sweep: bad specs exit 2 with one line before anything is written or queued', async () => {
  const out = join(work, 'refused');
  const cases: [unknown, RegExp][] = [
    [{ name: 'a', base, gird: { loss: ['hinge'] } }, /unknown key 'gird'/],
    [{ name: 'a', base, grid: {} }, /grid is empty/],
    [{ name: 'a', base, seeds: [0.5] }, /seeds\.0 must be integer/],
    [{ name: 'a', base, grid: { labelSmoothing: [0.7] } }, /labelSmoothing must be a number from 0 to 0\.5/],
    [{ name: 'a', base, grid: { batchSize: Array.from({ length: 101 }, (_, i) => i + 1), seed: Array.from({ length: 100 }, (_, i) => i) } }, /10100 runs, more than the 10000/],
  ];
  for (const [i, [spec, message]] of cases.entries()) {
    const r = gantry(['sweep', specFile(`bad-${i}`, spec), '--redis', redis.url, '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.ok(!existsSync(out), 'a refused sweep wrote files');
  assert.deepEqual(await jobKeys(), [], 'a refused sweep queued something');
});

test('gantry sweep --dry-run lists the runs and writes nothing; a submission queues each run once', async () => {
  const spec = specFile('seeds', { name: 'seeds', base, grid: { loss: ['hinge', 'least-squares'] }, seeds: [0, 1] });
  const out = join(work, 'out');
  const dry = gantry(['sweep', spec, '--out', out, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /sweep seeds: 4 run\(s\), each 50 steps of seed-mlp/);
  assert.match(dry.stdout, /loss-least-squares_seed-1/);
  assert.ok(!existsSync(out));
  assert.deepEqual(await jobKeys(), []);

  const first = gantry(['sweep', spec, '--redis', redis.url, '--out', out]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /sweep seeds: 4 run\(s\) queued, 0 already queued or done; 4 new run directories/);
  assert.match(first.stdout, /^queued seeds\/loss-hinge_seed-0$/m);
  const again = gantry(['sweep', spec, '--redis', redis.url, '--out', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /0 run\(s\) queued, 4 already queued or done/);
  assert.equal(await queue.count(), 4);
  const jobs = await queue.getJobs(['waiting']);
  assert.deepEqual(jobs.map((j) => j.id).sort(), ['seeds/loss-hinge_seed-0', 'seeds/loss-hinge_seed-1', 'seeds/loss-least-squares_seed-0', 'seeds/loss-least-squares_seed-1']);
  assert.equal(jobs.find((j) => j.id === 'seeds/loss-hinge_seed-1')!.data.dir, join(out, 'seeds', 'loss-hinge_seed-1'));

  // every run directory is an ordinary one: its config.json is what gantry train resolves
  const runDir = join(out, 'seeds', 'loss-hinge_seed-1');
  assert.deepEqual(readdirSync(runDir), ['config.json']);
  const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
  assert.equal(config.loss, 'hinge');
  assert.equal(config.seed, 1);

  const status = gantry(['sweep', 'status', '--redis', redis.url, '--out', join(out, 'seeds'), '--json']);
  assert.equal(status.status, 0, status.stderr);
  const parsed = JSON.parse(status.stdout);
  assert.equal(parsed.totals.runs, 4);
  assert.equal(parsed.totals.waiting, 4);
  assert.deepEqual(parsed.runs[0], { run: 'loss-hinge_seed-0', state: 'waiting', step: 0, total: 50, worker: null, bestFid: null, attempts: 0, lastError: null });
  const table = gantry(['sweep', 'status', '--redis', redis.url, '--out', join(out, 'seeds')]);
  assert.match(table.stdout, /^loss-least-squares_seed-1\s+waiting\s+0\/50\s+-\s+-/m);
  assert.match(table.stdout, /sweep seeds: 4 run\(s\): 4 waiting/);

  // the same name with other settings would change runs already queued
  const changed = specFile('seeds-changed', { name: 'seeds', base: { ...base, steps: 60 }, grid: { loss: ['hinge', 'least-squares'] }, seeds: [0, 1] });
  const refused = gantry(['sweep', changed, '--redis', redis.url, '--out', out]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /already holds a different config/);
  await queue.obliterate({ force: true });
});

test('Redis unreachable, or one that may evict keys: exit 2 within 5 s with one line', async () => {
  const spec = specFile('unreach', { name: 'unreach', base });
  // a server that accepts the connection and never answers: only the timeout can end the wait
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const t0 = Date.now();
  await assert.rejects(connectQueueRedis(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`), /cannot reach Redis at .* \(timed out\)/);
  assert.ok(Date.now() - t0 < 4000, `gave up after ${Date.now() - t0} ms`);
  silent.close();

  // the CLI's own start (loading the trainer's modules) is not part of waiting for Redis, and
  // takes seconds on a loaded machine; it is measured and set aside
  const startup = gantry(['--version']).ms;
  const closedPort = await freePort();
  for (const args of [
    ['sweep', spec, '--redis', `redis://127.0.0.1:${closedPort}`, '--out', join(work, 'u')],
    ['worker', '--redis', `redis://127.0.0.1:${closedPort}`],
    ['sweep', 'status', '--redis', `redis://127.0.0.1:${closedPort}`, '--out', join(work, 'u', 'unreach')],
  ]) {
    const r = gantry(args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); start redis-server there or fix --redis/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(r.ms - startup < 5000, `took ${r.ms} ms (starting the CLI: ${startup} ms)`);
  }
  assert.ok(!existsSync(join(work, 'u')));
  const lru = await RedisFixture.start(tempDir('gantry-redis-lru-'), ['--maxmemory-policy', 'allkeys-lru']);
  try {
    const r = gantry(['sweep', spec, '--redis', lru.url, '--out', join(work, 'u')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /has maxmemory-policy allkeys-lru, which can drop queued runs; BullMQ needs noeviction/);
    assert.ok(!existsSync(join(work, 'u')));
  } finally {
    await lru.stop();
  }
});

test('sweep results: a leaderboard by best FID or another metric, as a table, CSV or JSON', () => {
  const spec: SweepSpec = validateSweepSpec({ name: 'board', base, seeds: [0, 1, 2] });
  const runs = expandSweep(spec);
  const { dir } = writeSweepDirectory(join(work, 'results'), spec, runs);
  const log = (run: string, records: object[]) => {
    mkdirSync(join(dir, run), { recursive: true });
    writeFileSync(join(dir, run, 'metrics.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''));
  };
  log('seed-0', [{ step: 10, 'loss/G': 1.5 }, { step: 10, 'eval/fid': 80, 'eval/is': 2 }, { step: 20, 'loss/G': 1.2 }, { step: 20, 'eval/fid': 60, 'eval/is': 2.5 }]);
  log('seed-1', [{ step: 10, 'loss/G': 0.9 }, { step: 10, 'eval/fid': 40, 'eval/is': 3 }, { step: 20, 'loss/G': 1.1 }, { step: 20, 'eval/fid': 45, 'eval/is': 2.8 }]);
  log('seed-2', [{ step: 10, 'loss/G': 2 }]);

  const byFid = leaderboard(dir, 'eval/fid', 'asc');
  assert.deepEqual(byFid.rows.map((r) => [r.rank, r.run, r.value, r.atStep]), [[1, 'seed-1', 40, 10], [2, 'seed-0', 60, 20], [null, 'seed-2', null, null]]);
  const byIs = leaderboard(dir, 'eval/is', 'desc');
  assert.deepEqual(byIs.rows.map((r) => [r.run, r.value]), [['seed-1', 3], ['seed-0', 2.5], ['seed-2', null]]);
  assert.equal(formatLeaderboard(byFid, 'csv').split('\n')[0], 'rank,run,seed,eval/fid,at step,steps');
  assert.equal(formatLeaderboard(byFid, 'csv').split('\n')[1], '1,seed-1,1,40,10,0/50');
  assert.match(formatLeaderboard(byFid, 'table'), /^2\s+seed-0\s+0\s+60\s+20\s+0\/50$/m);

  const cli = gantry(['sweep', 'results', '--out', dir, '--metric', 'loss/G', '--format', 'json']);
  assert.equal(cli.status, 0, cli.stderr);
  const board = JSON.parse(cli.stdout);
  assert.deepEqual(board.rows.map((r: { run: string; value: number }) => [r.run, r.value]), [['seed-1', 0.9], ['seed-0', 1.2], ['seed-2', 2]]);
  const bad = gantry(['sweep', 'results', '--out', work]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /is not a sweep directory \(no sweep\.json\)/);
});
