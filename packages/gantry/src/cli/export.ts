import { resolve } from 'node:path';
import { selectBackend } from '../backend.js';
import { UsageError } from 'gantry-core/errors.js';
import { exportFormats, exportGenerator } from '../export/exportGenerator.js';
import { choiceFlag, parseFlags, stringFlag } from './args.js';
import { warnSkippedCheckpoints } from './skippedCheckpoints.js';

export const exportHelp = `gantry export --run DIR --out OUTDIR [options]

Export a run's generator for web pages, JS apps and ONNX runtimes: OUTDIR/model/ (a TF.js
LayersModel that stock @tensorflow/tfjs loads with tf.loadLayersModel) and/or OUTDIR/model.onnx
(opset 17: ONNX Runtime in Python, C#, C++, Java, Node and browsers), OUTDIR/gantry.json (latent
size, image shape, pixel mapping, classes, step, the ONNX model's inputs and outputs, checksums)
and OUTDIR/index.html (a page that draws samples in the browser, offline; open it with
'gantry serve OUTDIR').

  --run DIR          a training run directory
  --out OUTDIR       the export folder (new or empty)
  --format F         tfjs | onnx | all: the TF.js model (default), model.onnx, or both
  --checkpoint NAME  a checkpoint such as step-000001000 (default: the newest intact one;
                     a damaged one is skipped with a warning)
  --weights W        ema | raw: G's moving average (the default where the run keeps one) or its trained weights
  --force            replace a non-empty OUTDIR`;

export async function exportCommand(argv: string[]): Promise<void> {
  const v = parseFlags('export', argv, {
    run: { type: 'string' }, out: { type: 'string' }, checkpoint: { type: 'string' }, weights: { type: 'string' },
    force: { type: 'boolean' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' },
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
  const format = choiceFlag(v, 'format', exportFormats);
  // The export reads weights and folds spectral norm; TF.js' reference backend does that exactly and fast enough.
  await selectBackend('cpu');
  const { manifest, out: written, checkpointDir, skipped } = await exportGenerator({
    runDir: resolve(run), out: resolve(out), checkpoint: stringFlag(v, 'checkpoint'), weights, force: v.force === true, format,
  });
  warnSkippedCheckpoints(skipped, checkpointDir);
  const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  const models = [manifest.model ? 'TF.js model' : '', manifest.onnx ? `ONNX model (opset ${manifest.onnx.opset})` : ''].filter(Boolean).join(' and ');
  console.error(`gantry: exported G (${manifest.weights} weights, step ${manifest.step}, ${models}, ${(bytes / 1e6).toFixed(1)} MB) to ${written}; view it with: gantry serve ${written}`);
}
