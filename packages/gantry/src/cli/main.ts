import { readSetting, settingProblem } from 'tfjs-backend-onednn/environment';
import { isUsageError } from '../errors.js';
import { releaseAll } from '../util/shutdown.js';
import { gantryVersion } from 'gantry-core/version.js';

type Command = (argv: string[]) => Promise<void>;

/**
 * Each command's module is loaded only when that command runs, so `gantry dashboard`, `serve`
 * or `sweep status` start without loading TF.js and the trainer.
 */
const commands: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).trainCommand,
  sample: async () => (await import('./sample.js')).sampleCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  export: async () => (await import('./export.js')).exportCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  sweep: async () => (await import('./sweep.js')).sweepCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
  dashboard: async () => (await import('./dashboard.js')).dashboardCommand,
  studio: async () => (await import('./studio.js')).studioCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
};

const usage = `gantry ${gantryVersion}: train generative adversarial networks

usage: gantry <command> [options]

commands:
  train    train a GAN, writing a run directory
  sample   generate images from a run's checkpoint
  bench    time training steps of a preset
  eval     score samples (FID, KID, IS, precision/recall, class coverage)
  export   write G as a TF.js model with a page that draws samples in the browser
  serve    serve an export on 127.0.0.1
  sweep    queue many runs on Redis (grid, random, seeds); status, results
  worker   train queued runs, resuming what a dead worker left
  dashboard  watch every run under a folder in the browser, live
  studio   train a GAN in the browser, on the built-in sets or your own images
  doctor   what Gantry found on this machine, and the command that brings each missing part

'gantry <command> --help' describes a command's options.`;

/** Run the CLI; returns the process exit code (0 done, 1 internal error, 2 bad input). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(`gantry: no command given; the commands are ${Object.keys(commands).join(', ')} (see 'gantry --help')`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return 0;
  }
  if (name === '--version') {
    console.log(gantryVersion);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`gantry: unknown command '${name}'; the commands are ${Object.keys(commands).join(', ')} (see 'gantry --help')`);
    return 2;
  }
  // every GANTRY_* setting read while Gantry runs is checked before the command starts (docs/environment.md)
  const badSetting = rest.includes('--help') || rest.includes('-h') ? null : settingProblem();
  if (badSetting) {
    console.error(`gantry ${name}: ${badSetting.message}`);
    return 2;
  }
  try {
    const run = await command();
    await run(rest);
    return 0;
  } catch (e) {
    if (isUsageError(e)) {
      console.error(`gantry ${name}: ${e.message}`);
      return 2;
    }
    const err = e as Error & { exitCode?: number };
    const code = typeof err?.exitCode === 'number' ? err.exitCode : 1;
    console.error(`gantry ${name}: ${code === 1 ? 'error: ' : ''}${err?.message ?? String(e)}`);
    if (readSetting('GANTRY_DEBUG')) console.error(err?.stack);
    return code;
  } finally {
    releaseAll();
  }
}
