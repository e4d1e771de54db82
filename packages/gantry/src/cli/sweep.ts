import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { UsageError } from 'gantry-core/errors.js';
import { enqueueRuns, runQueueName, type RunJobData } from '../queue/jobs.js';
import { connectQueueRedis } from '../queue/redis.js';
import { formatLeaderboard, leaderboard, type LeaderboardFormat } from '../queue/results.js';
import { expandSweep, readSweepSpec } from '../queue/spec.js';
import { formatStatus, sweepStatus } from '../queue/status.js';
import { writeSweepDirectory } from '../queue/sweepDirectory.js';
import { choiceFlag, parseFlags, stringFlag } from './args.js';

export const sweepHelp = `gantry sweep SPEC --redis URL --out DIR [--dry-run]
gantry sweep status --redis URL --out DIR/<sweep> [--json]
gantry sweep results --out DIR/<sweep> [--metric KEY] [--order asc|desc] [--format table|csv|json]

Queue many runs: SPEC (JSON, see schema/sweep.schema.json) names a base config and the values
to vary (grid, random draws, seeds). Each run becomes DIR/<sweep>/<run>/config.json, an
ordinary run directory, and one job on the Redis queue; 'gantry worker' trains them.
Submitting the same sweep again queues nothing twice.

  --redis URL             the queue's Redis, e.g. redis://127.0.0.1:6379 (maxmemory-policy noeviction)
  --out DIR               where the sweep's folder goes (shared storage when workers run on several machines)
  --dry-run               check the spec and list the runs; write and queue nothing

status: each run's state (waiting, active, completed, failed, ...), step/total, worker, best FID, last error.
  --json                  as JSON

results: a leaderboard of the runs, best first (no Redis needed).
  --metric KEY            a metrics.jsonl key to rank by (default eval/fid); each run's best value counts
  --order asc|desc        asc: lower is better (default; desc for eval/is, eval/precision, ...)
  --format table|csv|json (default table)`;

export async function sweepCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'status') return statusCommand(argv.slice(1));
  if (argv[0] === 'results') return resultsCommand(argv.slice(1));
  const hasSpec = argv.length > 0 && !argv[0].startsWith('-');
  const specPath = hasSpec ? argv[0] : undefined;
  const rest = hasSpec ? argv.slice(1) : argv;
  const v = parseFlags('sweep', rest, { redis: { type: 'string' }, out: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help || argv[0] === '--help' || argv[0] === '-h') {
    console.log(sweepHelp);
    return;
  }
  if (!specPath) throw new UsageError("give the sweep spec file: gantry sweep SPEC --redis URL --out DIR (see 'gantry sweep --help')");
  const dryRun = Boolean(v['dry-run']);
  const redisUrl = stringFlag(v, 'redis');
  const out = stringFlag(v, 'out');
  if (!dryRun && !redisUrl) throw new UsageError('--redis URL is needed to queue the runs (or add --dry-run)');
  if (!dryRun && !out) throw new UsageError('--out DIR is needed: the sweep folder DIR/<sweep> holds every run directory');

  // everything is checked before Redis or the disk is touched
  const spec = readSweepSpec(specPath);
  const runs = expandSweep(spec);
  if (dryRun) {
    console.log(`sweep ${spec.name}: ${runs.length} run(s), each ${runs[0].config.steps} steps of ${runs[0].config.preset}${out ? ` into ${resolve(out, spec.name)}` : ''} (dry run: nothing written or queued)`);
    for (const run of runs) console.log(`  ${run.name}`);
    return;
  }

  const connection = await connectQueueRedis(redisUrl!);
  const queue = new Queue<RunJobData>(runQueueName, { connection });
  try {
    const { dir, created } = writeSweepDirectory(out!, spec, runs);
    const { added, existing } = await enqueueRuns(queue, runs.map((r) => ({ sweep: spec.name, run: r.name, dir: resolve(dir, r.name) })));
    for (const id of added) console.log(`queued ${id}`);
    console.log(`sweep ${spec.name}: ${added.length} run(s) queued, ${existing.length} already queued or done; ${created} new run director${created === 1 ? 'y' : 'ies'} in ${dir}`);
  } finally {
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

async function statusCommand(argv: string[]): Promise<void> {
  const v = parseFlags('sweep status', argv, { redis: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    console.log(sweepHelp);
    return;
  }
  const redisUrl = stringFlag(v, 'redis');
  const out = stringFlag(v, 'out');
  if (!redisUrl || !out) throw new UsageError('status needs --redis URL and --out DIR/<sweep>');
  const connection = await connectQueueRedis(redisUrl);
  const queue = new Queue<RunJobData>(runQueueName, { connection });
  try {
    const status = await sweepStatus(resolve(out), queue);
    console.log(v.json ? JSON.stringify(status, null, 2) : formatStatus(status));
  } finally {
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

async function resultsCommand(argv: string[]): Promise<void> {
  const v = parseFlags('sweep results', argv, {
    out: { type: 'string' }, metric: { type: 'string' }, order: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(sweepHelp);
    return;
  }
  const out = stringFlag(v, 'out');
  if (!out) throw new UsageError('results needs --out DIR/<sweep>');
  const metric = stringFlag(v, 'metric') ?? 'eval/fid';
  const order = choiceFlag(v, 'order', ['asc', 'desc'] as const) ?? 'asc';
  const format = choiceFlag(v, 'format', ['table', 'csv', 'json'] as const) ?? 'table';
  const board = leaderboard(resolve(out), metric, order);
  console.log(formatLeaderboard(board, format as LeaderboardFormat));
}
