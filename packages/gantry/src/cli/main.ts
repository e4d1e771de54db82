import { isUsageError } from '../errors.js';
import { benchCommand, benchHelp } from './bench.js';
import { dashboardCommand, dashboardHelp } from './dashboard.js';
import { evalCommand, evalHelp } from './eval.js';
import { exportCommand, exportHelp } from './export.js';
import { sampleCommand, sampleHelp } from './sample.js';
import { serveCommand, serveHelp } from './serve.js';
import { trainCommand, trainHelp } from './train.js';
import { sweepCommand, sweepHelp } from './sweep.js';
import { workerCommand, workerHelp } from './worker.js';
import { gantryVersion } from '../version.js';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  train: { run: trainCommand, help: trainHelp },
  sample: { run: sampleCommand, help: sampleHelp },
  bench: { run: benchCommand, help: benchHelp },
  eval: { run: evalCommand, help: evalHelp },
  export: { run: exportCommand, help: exportHelp },
  serve: { run: serveCommand, help: serveHelp },
  sweep: { run: sweepCommand, help: sweepHelp },
  worker: { run: workerCommand, help: workerHelp },
  dashboard: { run: dashboardCommand, help: dashboardHelp },
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
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (isUsageError(e)) {
      console.error(`gantry ${name}: ${e.message}`);
      return 2;
    }
    const err = e as Error & { exitCode?: number };
    const code = typeof err?.exitCode === 'number' ? err.exitCode : 1;
    console.error(`gantry ${name}: ${code === 1 ? 'error: ' : ''}${err?.message ?? String(e)}`);
    if (process.env.GANTRY_DEBUG) console.error(err?.stack);
    return code;
  }
}
