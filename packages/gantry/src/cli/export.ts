import { resolve } from 'node:path';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { exportGenerator } from '../export/exportGenerator.js';
import { choiceFlag, parseFlags, stringFlag } from './args.js';
import { warnSkippedCheckpoints } from './skippedCheckpoints.js';

export const exportHelp = `gantry export --run DIR --out OUTDIR [options]

Export a run's generator for web pages and JS apps: OUTDIR/model/ (a TF.js LayersModel that
stock @tensorflow/tfjs loads with tf.loadLayersModel), OUTDIR/gantry.json (latent size, image
shape, pixel mapping, classes, step, weights checksums) and OUTDIR/index.html (a page that
draws samples in the browser, offline; open it with 'gantry serve OUTDIR').

  --run DIR          a training run directory
  --out OUTDIR       the export folder (new or empty)
  --checkpoint NAME  a checkpoint such as step-000001000 (default: the newest intact one;
                     a damaged one is skipped with a warning)
  --weights W        ema | raw: G's moving average (the default where the run keeps one) or its trained weights
  --force            replace a non-empty OUTDIR`;

export async function exportCommand(argv: string[]): Promise<void> {
  const v = parseFlags('export', argv, {
    run: { type: 'string' }, out: { type: 'string' }, checkpoint: { type: 'string' }, weights: { type: 'string' },
    force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(exportHelp);
    return;
  }
  const run = stringFlag(v, 'run');
  if (!run) throw new UsageError('gantry export needs --run DIR, the directory of a training run');
  const out = stringFlag(v, 'out');
  if (!out) throw new UsageError('gantry export needs --out OUTDIR, a new or empty folder for the export');
  const weights = choiceFlag(v, 'weights', ['ema', 'raw'] as const);
  // The export reads weights and folds spectral norm; TF.js' reference backend does that exactly and fast enough.
  await selectBackend('cpu');
  const { manifest, out: written, checkpointDir, skipped } = await exportGenerator({
    runDir: resolve(run), out: resolve(out), checkpoint: stringFlag(v, 'checkpoint'), weights, force: v.force === true,
  });
  warnSkippedCheckpoints(skipped, checkpointDir);
  const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  console.error(`gantry: exported G (${manifest.weights} weights, step ${manifest.step}, ${(bytes / 1e6).toFixed(1)} MB) to ${written}; view it with: gantry serve ${written}`);
}
