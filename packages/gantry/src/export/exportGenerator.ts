import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import { removeStaleTemporaries, temporaryPathFor } from '../io/atomicFile.js';
import { CheckpointStore, type SkippedCheckpoint } from '../io/checkpoint.js';
import { exportFormats, generatorFiles, type ExportFormat } from 'gantry-core/export/generatorFiles.js';
import { openRun } from '../runFolder/checkpoints.js';
import { classNames } from './exportManifest.js';
import type { ExportManifest } from 'gantry-core/export/format.js';
import { copyPageAssets, pageAssets } from './pageAssets.js';
import { makeDirectory } from '../io/directories.js';

export { exportFormats, type ExportFormat } from 'gantry-core/export/generatorFiles.js';

export interface ExportOptions {
  runDir: string;
  /** A checkpoint name; default: the newest intact one. */
  checkpoint?: string;
  /** Default: 'ema' when the run keeps an EMA of G, else 'raw'. */
  weights?: 'ema' | 'raw';
  /** The export folder; it must not exist, be empty, or `force` must be set. */
  out: string;
  force?: boolean;
  /** Default: 'tfjs'. 'onnx' writes model.onnx instead of model/, 'all' both. */
  format?: ExportFormat;
}

/** The checks on --out that need no work done: a usage error before anything is written. */
function checkOut(out: string, force: boolean): void {
  let ancestor = dirname(out);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) throw new UsageError(`cannot write the export to ${out}: ${ancestor} is a file, not a folder; choose another --out`);
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file; give a folder for the export`);
  if (readdirSync(out).length > 0 && !force) {
    throw new UsageError(`--out ${out} is not empty; choose a new folder, or pass --force to replace it`);
  }
}

function unwritable(out: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code) throw e;
  throw new UsageError(`cannot write the export to ${out} (${code}); choose a writable --out`);
}

/**
 * Exports a run's generator to `out`: model/ (the TF.js LayersModel) and/or model.onnx, gantry.json
 * (their bytes from the core's generatorFiles, as a page makes them) and the page.
 * Everything is written to a temporary folder beside `out` and renamed into place at the end,
 * so an export that fails leaves nothing behind, and a replaced export (--force) is swapped whole.
 */
export async function exportGenerator(opts: ExportOptions): Promise<{ manifest: ExportManifest; out: string; checkpointDir: string; skipped: SkippedCheckpoint[] }> {
  const out = opts.out;
  const format = opts.format ?? 'tfjs';
  if (!exportFormats.includes(format)) throw new UsageError(`format must be one of ${exportFormats.join(', ')}, got '${String(format)}'`);
  const withTfjs = format !== 'onnx';
  const withOnnx = format !== 'tfjs';
  // what an export killed mid-write left for this --out goes first (a replaced export it had
  // moved aside comes back, so the check below sees what is really there)
  removeStaleTemporaries(out);
  checkOut(out, opts.force ?? false);
  const assets = pageAssets({ tfjs: withTfjs, onnx: withOnnx });
  const { gan, config, step, checkpointDir, skipped } = openRun(opts.runDir, opts.checkpoint, opts.weights);
  let tmp: string | undefined;
  try {
    const weights = opts.weights ?? (gan.Gema ? 'ema' : 'raw');
    const best = new CheckpointStore(opts.runDir).best();
    const classes = config.conditional && config.numClasses ? config.numClasses : null;
    // every byte is made before anything is written: a layer with no form in a format is bad input
    const { files, manifest } = await generatorFiles(gan, config, {
      format,
      weights,
      step,
      checkpoint: basename(checkpointDir),
      bestFid: best && best.metric === 'fid' ? { step: best.step, value: best.value } : null,
      classNames: classes ? classNames(config.data, classes) : undefined,
    });
    try {
      makeDirectory(dirname(out), 'folder for --out');
      tmp = temporaryPathFor(out, 'export');
      makeDirectory(tmp, 'export folder');
    } catch (e) {
      unwritable(out, e);
    }
    for (const f of files) {
      const target = join(tmp!, ...f.path.split('/'));
      makeDirectory(dirname(target), 'export folder');
      writeFileSync(target, f.bytes);
    }
    copyPageAssets(assets, tmp!);
    // Swap into place: the old export (with --force) is moved aside first and removed last.
    const old = existsSync(out) ? `${tmp}.old` : undefined;
    if (old) renameSync(out, old);
    try {
      renameSync(tmp!, out);
    } catch (e) {
      if (old) renameSync(old, out);
      throw e;
    }
    tmp = undefined;
    if (old) rmSync(old, { recursive: true, force: true });
    return { manifest, out, checkpointDir, skipped };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code) unwritable(out, e);
    throw e;
  } finally {
    gan.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
