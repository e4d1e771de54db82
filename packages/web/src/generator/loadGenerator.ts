import * as tf from '@tensorflow/tfjs';
import { parseExportInfo, type ExportInfo } from './exportInfo.js';
import { toUnitRange, unitToRgba } from './pixels.js';
import { checkedBytes } from './checkedFiles.js';

export interface LoadGeneratorOptions {
  /** The fetch to read the export with (default: the global one); Node's file-path support passes its own. */
  fetch?: typeof fetch;
}

/** A batch of generated images. */
export interface GeneratedImages {
  count: number;
  width: number;
  height: number;
  channels: number;
  /** RGBA bytes, `count` images of height * width * 4, each ready for `new ImageData(..., width, height)`. */
  rgba: Uint8ClampedArray;
  /** The same pixels in [0, 1], NHWC with `channels` channels: what `gantry sample --out x.npy` writes. */
  unit: Float32Array;
  /** The RGBA bytes of image i (a view, not a copy). */
  imageRgba(i: number): Uint8ClampedArray;
}

export interface Generator {
  readonly info: ExportInfo;
  /** What draws the images: TF.js (the LayersModel) or ONNX Runtime (model.onnx). */
  readonly runtime: 'tfjs' | 'onnx';
  readonly latentDim: number;
  /** The class count of a conditional generator, else 0. */
  readonly classCount: number;
  /**
   * Images from latents `z` (count * latentDim values, row after row, from N(0, I)) and, for a
   * conditional generator, one class per image.
   */
  generate(z: Float32Array | readonly number[], labels?: Int32Array | readonly number[]): Promise<GeneratedImages>;
  /** Frees the model's weights. */
  dispose(): void;
}

/** The folder URL with a trailing slash, so that relative names resolve inside it. */
function folderUrl(source: string | URL): string {
  const s = String(source);
  return s.endsWith('/') ? s : `${s}/`;
}

function absolute(relative: string, base: string): string {
  // In a page, a relative folder resolves against the page; elsewhere the folder must be absolute.
  const pageBase = typeof location !== 'undefined' ? location.href : undefined;
  return new URL(relative, pageBase ? new URL(base, pageBase) : base).href;
}

async function fetchOk(fetchFunc: typeof fetch, url: string): Promise<Response> {
  const response = await fetchFunc(url);
  if (!response.ok) throw new Error(`cannot read ${url} (HTTP ${response.status})`);
  return response;
}

/** An export folder's gantry.json, read and checked, with the folder's absolute URL. */
export async function readExportInfo(source: string | URL, fetchFunc: typeof fetch): Promise<{ info: ExportInfo; folder: string }> {
  const base = folderUrl(source);
  const infoUrl = absolute('gantry.json', base);
  const response = await fetchFunc(infoUrl);
  if (!response.ok) throw new Error(`cannot read ${infoUrl} (HTTP ${response.status}); is it the folder that gantry export wrote?`);
  return { info: parseExportInfo(await response.json(), infoUrl), folder: absolute('./', base) };
}

/**
 * A generator around `run`, which maps `count` latents (and labels) to G's raw output in its
 * range, NHWC: the checks of z and labels and the pixels in [0, 1] and RGBA are the same for
 * every runtime.
 */
export function wrapGenerator(
  info: ExportInfo,
  runtime: Generator['runtime'],
  run: (z: Float32Array, labels: Int32Array | null, count: number) => Promise<Float32Array>,
  dispose: () => void,
): Generator {
  const { height, width, channels } = info.image;
  const latentDim = info.latentDim;
  const classCount = info.classes?.count ?? 0;

  async function generate(z: Float32Array | readonly number[], labels?: Int32Array | readonly number[]): Promise<GeneratedImages> {
    if (z.length === 0 || z.length % latentDim !== 0) throw new Error(`z holds ${z.length} values; give count * ${latentDim} (the latent size)`);
    const count = z.length / latentDim;
    if (classCount > 0) {
      if (!labels || labels.length !== count) throw new Error(`this generator is conditional: give ${count} labels, one class (0 to ${classCount - 1}) per image`);
      const bad = Array.from(labels).findIndex((y) => !Number.isInteger(y) || y < 0 || y >= classCount);
      if (bad >= 0) throw new Error(`label ${labels[bad]} at index ${bad} is not a class (0 to ${classCount - 1})`);
    } else if (labels) {
      throw new Error('this generator is not conditional; call generate(z) without labels');
    }
    const unit = await run(Float32Array.from(z), classCount > 0 ? Int32Array.from(labels!) : null, count);
    const rgba = unitToRgba(unit, count, height, width, channels);
    const bytes = height * width * 4;
    return { count, width, height, channels, rgba, unit, imageRgba: (i) => rgba.subarray(i * bytes, (i + 1) * bytes) };
  }

  return { info, runtime, latentDim, classCount, generate, dispose };
}

/**
 * The LayersModel at `modelUrl`, its weights files checked against gantry.json's SHA-256 sums
 * (a damaged or mixed-up file fails here, not as wrong pixels).
 */
async function loadCheckedModel(modelUrl: string, folder: string, info: ExportInfo, fetchFunc: typeof fetch): Promise<tf.LayersModel> {
  const modelJson = (await (await fetchOk(fetchFunc, modelUrl)).json()) as tf.io.ModelJSON;
  const modelDir = modelUrl.slice(0, modelUrl.lastIndexOf('/') + 1);
  const groups = modelJson.weightsManifest ?? [];
  const paths = groups.flatMap((g) => g.paths);
  const buffers = await Promise.all(paths.map((path) => checkedBytes(new URL(path, modelDir).href, folder, info, fetchFunc)));
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: weightData.buffer,
  }));
}

/**
 * Loads an export made by `gantry export`: gantry.json and the TF.js LayersModel beside it.
 * `source` is the export folder's URL (relative to the page in a browser). It uses whichever TF.js
 * backend is active: call `tf.setBackend` first to choose one. (An export of model.onnx alone
 * loads with `loadOnnxGenerator`.)
 */
export async function loadGenerator(source: string | URL, options: LoadGeneratorOptions = {}): Promise<Generator> {
  const fetchFunc = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { info, folder } = await readExportInfo(source, fetchFunc);
  if (info.model === null) throw new Error('this export has no TF.js model (it was exported with --format onnx): load it with loadOnnxGenerator, or export it again with --format all');
  const model = await loadCheckedModel(new URL(info.model, folder).href, folder, info, fetchFunc);
  const latentDim = info.latentDim;
  return wrapGenerator(info, 'tfjs', async (z, labels, count) => {
    const unitTensor = tf.tidy(() => {
      const zt = tf.tensor2d(z, [count, latentDim]);
      const inputs = labels ? [zt, tf.tensor2d(labels, [count, 1], 'int32')] : zt;
      return toUnitRange(model.predict(inputs) as tf.Tensor, info.output.range);
    });
    const unit = (await unitTensor.data()) as Float32Array;
    unitTensor.dispose();
    return unit;
  }, () => model.dispose());
}
