import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readSetting } from 'tfjs-backend-onednn/environment';
import { backendChoices, type TrainOverrides } from 'gantry-core/config.js';
import { RESIZE_MODES } from 'gantry-core/data/imageOptions.js';
import { announce, selectBackend } from '../backend.js';
import { UsageError } from 'gantry-core/errors.js';
import { presetNames } from 'gantry-core/models/presets.js';
import { prepareRunDirectory, train } from '../train/loop.js';
import { formatDuration } from '../train/progress.js';
import { choiceFlag, intFlag, numberFlag, parseFlags, stringFlag } from './args.js';
import { startDashboard, type RunningDashboard } from '../dashboard/server.js';
import { defaultDashboardPort } from './dashboard.js';
import { makeDirectory } from '../io/directories.js';

export const trainHelp = `gantry train [options]

Train a GAN and write a run directory (config.json, metrics.jsonl, samples/, checkpoints/).

  --preset NAME           ${presetNames().join(' | ')} (default dcgan-mnist)
  --config FILE           JSON file of settings (any key of config.json); flags override it
  --data SPEC             mnist | fashion-mnist | emoji | emoji:google | emoji:twitter |
                          idx:PATH | npy:PATH | folder:PATH (PNG, JPEG, WebP, GIF, AVIF, TIFF;
                          class labels from first-level subfolders)
  --resize MODE           crop | pad | stretch: how images of another size are fitted
                          (folder, emoji; default crop, the centre after scaling to cover)
  --background COLOUR     what transparent pixels (and pad's border) become: white (default),
                          black, grey, #rrggbb, #rgb
  --flip                  mirror each real image left-right with probability 1/2
  --strict                stop (exit 2) on an image file that cannot be decoded, instead of
                          skipping it with a warning
  --steps N               total D+G steps (default: the preset's)
  --epochs N              train for N passes over the data instead of --steps
  --minutes N             stop after N minutes of training (fractions allowed), with a
                          checkpoint of the step reached; --resume continues the run
  --batch-size N
  --seed N                everything random follows from it (default 0)
  --out DIR               run directory (default runs/<preset>-<time>)
  --resume                continue DIR from its newest intact checkpoint (a damaged one is
                          skipped, with a warning); --steps is the total
  --resume-from NAME      continue DIR from this checkpoint (step-000001000, or 1000)
  --log-every N           steps between metric lines (default 100)
  --sample-every N        steps between sample grids (default 500)
  --checkpoint-every N    steps between checkpoints (default 1000)
  --eval-every N          evaluate G's samples every N steps (FID, KID, IS, precision,
                          recall, class coverage; mnist, fashion-mnist and emoji data); the best
                          checkpoint by FID is kept (checkpoints/best.json)
  --eval-samples N        samples per evaluation (default 1000)
  --until-fid X           stop once FID <= X (needs --eval-every)
  --until-kid X           stop once KID <= X (needs --eval-every)
  --backend NAME          auto | webgpu | onednn | tensorflow | cpu (default auto; auto takes
                          webgpu only on a GPU, see docs/gpu.md)
  --threads N             threads of the native backend (default: GANTRY_THREADS, else every
                          available core); a run repeats bit for bit on the same thread count
  --quiet                 no progress output
  --dashboard             serve the dashboard of the run's folder while it trains (closes when
                          the training ends; 'gantry dashboard' keeps one open)
  --port N                the dashboard's port (default ${defaultDashboardPort}; 0 takes any free port)`;

export async function trainCommand(argv: string[]): Promise<void> {
  const v = parseFlags('train', argv, {
    preset: { type: 'string' }, config: { type: 'string' }, data: { type: 'string' }, steps: { type: 'string' },
    epochs: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
    resume: { type: 'boolean' }, 'resume-from': { type: 'string' }, 'log-every': { type: 'string' }, 'sample-every': { type: 'string' },
    'checkpoint-every': { type: 'string' }, 'eval-every': { type: 'string' }, 'eval-samples': { type: 'string' },
    'until-fid': { type: 'string' }, minutes: { type: 'string' }, 'until-kid': { type: 'string' }, resize: { type: 'string' }, background: { type: 'string' }, flip: { type: 'boolean' }, strict: { type: 'boolean' }, backend: { type: 'string' }, threads: { type: 'string' }, quiet: { type: 'boolean' }, dashboard: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(trainHelp);
    return;
  }
  const steps = intFlag(v, 'steps', 1);
  const epochs = intFlag(v, 'epochs', 1);
  if (steps !== undefined && epochs !== undefined) throw new UsageError('give either --steps or --epochs, not both');
  const flags: TrainOverrides = {
    preset: stringFlag(v, 'preset'),
    data: stringFlag(v, 'data'),
    // only the image flags given: an empty object would count as a changed setting on --resume
    dataOptions: definedOnly({
      resize: choiceFlag(v, 'resize', RESIZE_MODES),
      background: stringFlag(v, 'background'),
      flip: v.flip ? true : undefined,
      strict: v.strict ? true : undefined,
    }),
    steps,
    epochs,
    batchSize: intFlag(v, 'batch-size', 1, 65536),
    seed: intFlag(v, 'seed', 0, 4294967295),
    logEvery: intFlag(v, 'log-every', 1),
    sampleEvery: intFlag(v, 'sample-every', 1),
    checkpointEvery: intFlag(v, 'checkpoint-every', 1),
    backend: choiceFlag(v, 'backend', backendChoices),
    evalEvery: intFlag(v, 'eval-every', 0),
    evalSamples: intFlag(v, 'eval-samples', 10, 100000),
    untilFid: numberFlag(v, 'until-fid', 0),
    untilKid: numberFlag(v, 'until-kid', 0),
  };
  const minutes = numberFlag(v, 'minutes', 0);
  if (minutes === 0) throw new UsageError('--minutes must be more than 0 (the minutes of training before the run stops with a checkpoint)');
  const configFile = stringFlag(v, 'config');
  const fileConfig = readConfigFile(configFile);
  const resumeFrom = stringFlag(v, 'resume-from');
  const resume = Boolean(v.resume) || resumeFrom !== undefined;
  const outFlag = stringFlag(v, 'out');
  if (resume && !outFlag) throw new UsageError(`${resumeFrom !== undefined ? '--resume-from' : '--resume'} needs --out DIR, the run directory to continue`);
  const presetName = flags.preset ?? (fileConfig.preset as string | undefined) ?? 'dcgan-mnist';
  const out = resolve(outFlag ?? `runs/${presetName}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  const config = prepareRunDirectory(out, resume, fileConfig, flags, configFile ? `--config ${configFile}` : 'settings');

  const port = intFlag(v, 'port', 0, 65535);
  if (port !== undefined && !v.dashboard) throw new UsageError('--port is the dashboard\'s port; add --dashboard');

  const quiet = Boolean(v.quiet);
  const backend = await selectBackend(config.backend, { threads: intFlag(v, 'threads', 1, 1024), announce });
  if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);
  // started last, so that nothing before the training can fail and leave the server holding the process open
  const dashboard = v.dashboard ? await startRunDashboard(out, port ?? defaultDashboardPort) : null;
  const onReady = ({ config: c, startStep, images }: { config: typeof config; startStep: number; images: number }) => {
    if (quiet) return;
    const from = startStep > 0 ? `, resuming at step ${startStep}` : '';
    console.error(`gantry: training ${c.preset} on ${c.data} (${images} images) for ${c.steps} steps${from}, batch ${c.batchSize}, seed ${c.seed}, backend ${backend.name}${backend.threads ? ` (${backend.threads} thread${backend.threads > 1 ? 's' : ''})` : ''}; run directory ${out}`);
  };
  // a sweep worker's trainer: if the worker dies, its end of our stdin closes; stop as on SIGTERM (checkpoint first)
  if (readSetting('GANTRY_STOP_WITH_PARENT')) stopWhenStdinCloses();
  const result = await train({ config, out, resume, resumeFrom, quiet, onReady, minutes }).finally(() => dashboard?.close());
  result.gan.dispose();
  if (!quiet && result.targetReached) console.error(`gantry: quality target reached at step ${result.steps}: ${result.targetReached}`);
  if (!quiet && result.outOfTime) console.error(`gantry: stopped after ${minutes} minutes of training at step ${result.steps} of ${result.config.steps}; continue with: gantry train --resume --out ${out}`);
  if (!quiet) console.error(`gantry: done: ${result.steps} steps in ${formatDuration(result.seconds)}; samples in ${out}/samples, checkpoints in ${out}/checkpoints`);
}

/** The dashboard of the run's parent folder (so its sibling runs can be compared), opened on this run. */
async function startRunDashboard(out: string, port: number): Promise<RunningDashboard> {
  makeDirectory(dirname(out), 'runs folder');
  const dashboard = await startDashboard({ root: dirname(out), port, command: 'train' });
  console.error(`gantry train: dashboard at ${dashboard.url}#/run/${encodeURIComponent(basename(out))}`);
  return dashboard;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  if (!existsSync(path)) throw new UsageError(`--config ${path}: no such file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--config ${path}: must hold a JSON object of settings`);
  return parsed as Record<string, unknown>;
}

function definedOnly<T extends object>(o: T): T | undefined {
  const given = Object.entries(o).filter(([, v]) => v !== undefined);
  return given.length > 0 ? (Object.fromEntries(given) as T) : undefined;
}

function stopWhenStdinCloses(): void {
  const stdin = process.stdin;
  stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  stdin.on('error', () => undefined);
  stdin.resume();
  // watching must not keep the process alive once training is done
  (stdin as unknown as { unref?: () => void }).unref?.();
}
