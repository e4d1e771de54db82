import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { TrainConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { kerasGenerator } from '../models/kerasExport.js';
import { stepDirName } from '../run/checkpointFormat.js';
import type { Gan } from '../train/gan.js';
import { imageShapeOf } from '../train/images.js';
import { gantryVersion } from '../version.js';
import type { ExportManifest, WeightsFile } from './format.js';
import { layersModelFiles } from './layersModelFiles.js';
import { onnxModel } from './onnxModelFile.js';

/**
 * What `gantry export` writes for a generator, as bytes: model/ (the TF.js LayersModel) and/or
 * model.onnx, and gantry.json describing them. No file system here: the CLI writes these files
 * into its export folder (and adds the page), a page zips them. The same GAN and config give the
 * same bytes in both.
 */

/** The model formats of an export: the TF.js LayersModel, the ONNX model, or both. */
export const exportFormats = ['tfjs', 'onnx', 'all'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** One file of an export, relative to the export folder, '/'-separated. */
export interface ExportedFile {
  path: string;
  bytes: Uint8Array;
}

export interface GeneratorExportOptions {
  /** Default: 'tfjs'. 'onnx' gives model.onnx instead of model/, 'all' both. */
  format?: ExportFormat;
  /** Default: 'ema' when the GAN keeps an EMA of G, else 'raw'. */
  weights?: 'ema' | 'raw';
  /** The step the weights are from; default: G's optimizer's step count. */
  step?: number;
  /** The checkpoint they were read from; default: the step's checkpoint name. */
  checkpoint?: string;
  /** The run's best FID, when it keeps one. */
  bestFid?: { step: number; value: number } | null;
  /** The classes' names of a conditional run; default: from the data spec where it is known, else "class K". */
  classNames?: string[];
}

const fashionMnistNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Class names that follow from the data spec alone (the digits, Fashion-MNIST's labels); "class K" otherwise. */
export function knownClassNames(data: string, count: number): string[] {
  const names = data === 'mnist' ? Array.from({ length: 10 }, (_, i) => String(i)) : data === 'fashion-mnist' ? fashionMnistNames.slice() : [];
  return names.length === count ? names : Array.from({ length: count }, (_, i) => `class ${i}`);
}

/** The pixel mapping of a run's output range, written out so that a client need not read Gantry's code. */
export function outputMapping(pixelRange: TrainConfig['pixelRange']): ExportManifest['output'] {
  return pixelRange === '-1,1'
    ? { range: [-1, 1], toUnit: 'clip((x + 1) * 0.5, 0, 1)', toByte: 'round(255 * unit)' }
    : { range: [0, 1], toUnit: 'clip(x, 0, 1)', toByte: 'round(255 * unit)' };
}

const listed = (path: string, bytes: Uint8Array): WeightsFile => ({ path, bytes: bytes.length, sha256: bytesToHex(sha256(bytes)) });

/**
 * The export's files (model/..., model.onnx, gantry.json last) and gantry.json's content. Both
 * translations run before any bytes are laid out: a layer with no form in one is a UsageError.
 */
export async function generatorFiles(gan: Gan, config: TrainConfig, options: GeneratorExportOptions = {}): Promise<{ files: ExportedFile[]; manifest: ExportManifest }> {
  const format = options.format ?? 'tfjs';
  if (!exportFormats.includes(format)) throw new UsageError(`format must be one of ${exportFormats.join(', ')}, got '${String(format)}'`);
  const withTfjs = format !== 'onnx';
  const withOnnx = format !== 'tfjs';
  const weights = options.weights ?? (gan.Gema ? 'ema' : 'raw');
  if (weights === 'ema' && !gan.Gema) throw new UsageError('the run keeps no EMA of G (its config has no "ema"); export its raw weights');
  const step = options.step ?? gan.optG.iterations;
  const net = weights === 'ema' ? gan.Gema! : gan.G;
  const classes = config.conditional && config.numClasses ? config.numClasses : null;
  const output = outputMapping(config.pixelRange);
  const onnx = withOnnx
    ? onnxModel(net, {
      producerVersion: gantryVersion,
      docString: `Gantry generator (${config.preset ?? 'custom network'}, step ${step}, ${weights} weights): z ~ N(0, I) to images, NHWC, in [${output.range.join(', ')}]`,
      metadata: { preset: config.preset ?? '', step: String(step), weights, pixelRange: output.range.join(',') },
      classCount: classes ?? 0,
      pixelRange: output.range,
    })
    : null;
  const files: ExportedFile[] = [];
  if (withTfjs) {
    const model = kerasGenerator(net);
    try {
      files.push(...(await layersModelFiles(model, `Gantry ${gantryVersion}`)).map((f) => ({ ...f, path: `model/${f.path}` })));
    } finally {
      model.dispose();
    }
  }
  if (onnx) files.push({ path: onnx.info.model, bytes: onnx.bytes });
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
    image: imageShapeOf(config),
    output,
    classes: classes ? { count: classes, names: options.classNames ?? knownClassNames(config.data, classes) } : null,
    preset: config.preset ?? null,
    data: config.data,
    step,
    checkpoint: options.checkpoint ?? stepDirName(step),
    weights,
    bestFid: options.bestFid ?? null,
    // every weights file: the shards and model.onnx (model.json is the topology)
    files: files.filter((f) => f.path !== 'model/model.json').map((f) => listed(f.path, f.bytes)),
  };
  files.push({ path: 'gantry.json', bytes: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n') });
  return { files, manifest };
}
