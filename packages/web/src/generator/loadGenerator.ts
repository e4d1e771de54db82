import * as tf from '@tensorflow/tfjs';
import { parseExportInfo, type ExportInfo } from './exportInfo.js';
import { toUnitRange, unitToRgba } from './pixels.js';

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

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The LayersModel at `modelUrl`, its weights files checked against gantry.json's SHA-256 sums
 * (a damaged or mixed-up file fails here, not as wrong pixels). Where Web Crypto is missing (a
 * page served over plain http from another machine is not a secure context) sizes are checked only.
 */
async function loadCheckedModel(modelUrl: string, folder: string, info: ExportInfo, fetchFunc: typeof fetch): Promise<tf.LayersModel> {
  const modelJson = (await (await fetchOk(fetchFunc, modelUrl)).json()) as tf.io.ModelJSON;
  const modelDir = modelUrl.slice(0, modelUrl.lastIndexOf('/') + 1);
  const groups = modelJson.weightsManifest ?? [];
  const paths = groups.flatMap((g) => g.paths);
  const expected = new Map(info.files.map((f) => [new URL(f.path, folder).href, f]));
  const canHash = typeof crypto !== 'undefined' && crypto.subtle !== undefined;
  const buffers = await Promise.all(paths.map(async (path) => {
    const url = new URL(path, modelDir).href;
    const bytes = await (await fetchOk(fetchFunc, url)).arrayBuffer();
    const want = expected.get(url);
    if (!want) throw new Error(`${url} is not listed in gantry.json; export the model again`);
    if (bytes.byteLength !== want.bytes || (canHash && (await sha256Hex(bytes)) !== want.sha256)) {
      throw new Error(`${url} does not match gantry.json (size or SHA-256): the file is damaged or from another export`);
    }
    return bytes;
  }));
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
 * backend is active: call `tf.setBackend` first to choose one.
 */
export async function loadGenerator(source: string | URL, options: LoadGeneratorOptions = {}): Promise<Generator> {
  const base = folderUrl(source);
  const fetchFunc = options.fetch ?? globalThis.fetch.bind(globalThis);
  const infoUrl = absolute('gantry.json', base);
  const response = await fetchFunc(infoUrl);
  if (!response.ok) throw new Error(`cannot read ${infoUrl} (HTTP ${response.status}); is it the folder that gantry export wrote?`);
  const info = parseExportInfo(await response.json(), infoUrl);
  const model = await loadCheckedModel(absolute(info.model, base), absolute('./', base), info, fetchFunc);
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
    const unitTensor = tf.tidy(() => {
      const zt = tf.tensor2d(Float32Array.from(z), [count, latentDim]);
      const inputs = classCount > 0 ? [zt, tf.tensor2d(Int32Array.from(labels!), [count, 1], 'int32')] : zt;
      return toUnitRange(model.predict(inputs) as tf.Tensor, info.output.range);
    });
    const unit = (await unitTensor.data()) as Float32Array;
    unitTensor.dispose();
    const rgba = unitToRgba(unit, count, height, width, channels);
    const bytes = height * width * 4;
    return { count, width, height, channels, rgba, unit, imageRgba: (i) => rgba.subarray(i * bytes, (i + 1) * bytes) };
  }

  return { info, latentDim, classCount, generate, dispose: () => model.dispose() };
}
