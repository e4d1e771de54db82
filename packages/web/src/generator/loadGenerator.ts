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
  // The HTTP loader, named explicitly: it reads any URL through fetchFunc (file: ones too, in Node).
  const model = await tf.loadLayersModel(tf.io.http(absolute(info.model, base), { fetchFunc }));
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
