import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import { removeStaleTemporaries, temporaryPathFor } from '../io/atomicFile.js';
import { CheckpointStore, type SkippedCheckpoint } from '../io/checkpoint.js';
import { kerasGenerator } from 'gantry-core/models/kerasExport.js';
import { imageShapeOf } from 'gantry-core/train/images.js';
import { openRun } from '../runFolder/checkpoints.js';
import { gantryVersion } from 'gantry-core/version.js';
import { classNames, outputMapping } from './exportManifest.js';
import type { ExportManifest, WeightsFile } from 'gantry-core/export/format.js';
import { writeLayersModel } from './layersModelFiles.js';
import { onnxModel, writeOnnxModel } from './onnxModelFile.js';
import { copyPageAssets, pageAssets } from './pageAssets.js';
import { makeDirectory } from '../io/directories.js';

/** The model formats of an export: the TF.js LayersModel, the ONNX model, or both. */
export const exportFormats = ['tfjs', 'onnx', 'all'] as const;
export type ExportFormat = (typeof exportFormats)[number];

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
 * Exports a run's generator to `out`: model/ (the TF.js LayersModel) and/or model.onnx, gantry.json and the page.
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
  const { gan, config, step, checkpointDir, skipped } = openRun(opts.runDir, opts.checkpoint);
  let tmp: string | undefined;
  try {
    const weights = opts.weights ?? (gan.Gema ? 'ema' : 'raw');
    if (weights === 'ema' && !gan.Gema) {
      throw new UsageError(`--weights ema: run ${opts.runDir} keeps no EMA of G (its config has no "ema"); use --weights raw`);
    }
    const net = weights === 'ema' ? gan.Gema! : gan.G;
    const shape = imageShapeOf(config);
    const classes = config.conditional && config.numClasses ? config.numClasses : null;
    const output = outputMapping(config.pixelRange);
    // Both translations run before anything is written: a layer with no form in either is bad input.
    const onnx = withOnnx
      ? onnxModel(net, {
        producerVersion: gantryVersion,
        docString: `Gantry generator (${config.preset ?? 'custom network'}, step ${step}, ${weights} weights): z ~ N(0, I) to images, NHWC, in [${output.range.join(', ')}]`,
        metadata: { preset: config.preset ?? '', step: String(step), weights, pixelRange: output.range.join(',') },
        classCount: classes ?? 0,
        pixelRange: output.range,
      })
      : null;
    const model = withTfjs ? kerasGenerator(net) : null;
    try {
      makeDirectory(dirname(out), 'folder for --out');
      tmp = temporaryPathFor(out, 'export');
      makeDirectory(withTfjs ? join(tmp, 'model') : tmp, 'export folder');
    } catch (e) {
      model?.dispose();
      unwritable(out, e);
    }
    const files: WeightsFile[] = [];
    if (model) {
      const written = await writeLayersModel(model, join(tmp!, 'model'), `Gantry ${gantryVersion}`);
      model.dispose();
      files.push(...written.map((f) => ({ ...f, path: `model/${f.path}` })));
    }
    if (onnx) files.push(writeOnnxModel(onnx.bytes, tmp!));
    const best = new CheckpointStore(opts.runDir).best();
    const manifest: ExportManifest = {
      format: 'gantry-generator',
      formatVersion: 1,
      gantryVersion,
      model: withTfjs ? 'model/model.json' : null,
      inputs: withTfjs
        ? [
          { name: 'z', shape: [null, config.latentDim], dtype: 'float32', meaning: 'latent vectors, each drawn from a standard normal N(0, I)' },
          ...(classes ? [{ name: 'labels', shape: [null, 1], dtype: 'int32' as const, meaning: `the class of each image, 0 to ${classes - 1}` }] : []),
        ]
        : [],
      onnx: onnx?.info ?? null,
      latentDim: config.latentDim,
      image: shape,
      output,
      classes: classes ? { count: classes, names: classNames(config.data, classes) } : null,
      preset: config.preset ?? null,
      data: config.data,
      step,
      checkpoint: basename(checkpointDir),
      weights,
      bestFid: best && best.metric === 'fid' ? { step: best.step, value: best.value } : null,
      files,
    };
    writeFileSync(join(tmp!, 'gantry.json'), JSON.stringify(manifest, null, 2) + '\n');
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
