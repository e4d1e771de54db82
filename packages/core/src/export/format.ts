// gantry.json, the one file that describes an export: written by `gantry export`
// (exportManifest.ts), checked by `gantry serve` and read by the browser package
// (packages/web/src/generator/exportInfo.ts). Its types and its one check, with no imports, so
// that both sides can use them.

/** One weights file of an export, as gantry.json lists it. */
export interface WeightsFile {
  /** Relative to the export folder, '/'-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * gantry.json: what a client of an export needs and must not guess. `formatVersion` changes when a field's meaning does.
 */
export interface ExportManifest {
  format: 'gantry-generator';
  formatVersion: 1;
  gantryVersion: string;
  /** The TF.js LayersModel, relative to the export folder; null for an export of the ONNX model alone. */
  model: string | null;
  /** The TF.js model's inputs, in order: `z` float32 [batch, latentDim] drawn from N(0, I); `labels` int32 [batch, 1]. */
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int32'; meaning: string }[];
  /** The ONNX model (`gantry export --format onnx|all`), or null. Absent in exports made before it existed. */
  onnx?: OnnxModelInfo | null;
  latentDim: number;
  image: { height: number; width: number; channels: number };
  /** G's output range, and how a pixel in it becomes a byte. */
  output: { range: [number, number]; toUnit: string; toByte: string };
  classes: { count: number; names: string[] } | null;
  preset: string | null;
  data: string;
  step: number;
  checkpoint: string;
  /** Which of the run's generators: its EMA of the weights, or the trained weights. */
  weights: 'ema' | 'raw';
  bestFid: { step: number; value: number } | null;
  /** Every weights file (model.onnx included), relative to the export folder, with its size and SHA-256. */
  files: WeightsFile[];
}

/** How to call the ONNX model: what ONNX Runtime (or any ONNX consumer) needs and must not guess. */
export interface OnnxModelInfo {
  /** The .onnx file, relative to the export folder. */
  model: string;
  /** The one operator set the model imports (default domain), and its IR version. */
  opset: number;
  irVersion: number;
  /** Named inputs, in order; `null` is the dynamic batch axis. `labels`: int64 [batch], one class per image. */
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int64'; meaning: string }[];
  /** Named outputs: `images`, float32 [batch, height, width, channels], in `output.range` of gantry.json. */
  outputs: { name: string; shape: (number | null)[]; dtype: 'float32'; meaning: string }[];
  /** The layout of the images: NHWC, the TF.js model's. */
  layout: 'NHWC';
}

/**
 * Checks that `json` is a gantry.json this version reads, and returns it; throws an Error whose
 * message is one sentence naming `where` otherwise. Any `formatVersion` is read, then checked.
 */
export function checkExportManifest(json: unknown, where: string): ExportManifest {
  const info = json as Partial<Omit<ExportManifest, 'formatVersion'> & { formatVersion: unknown }> | null;
  if (typeof info !== 'object' || info === null || info.format !== 'gantry-generator') {
    throw new Error(`${where} is not a Gantry export's gantry.json (no "format": "gantry-generator")`);
  }
  if (info.formatVersion !== 1) throw new Error(`${where} has formatVersion ${String(info.formatVersion)}; this version of Gantry reads version 1`);
  const model = typeof info.model === 'string' || (info.model === null && typeof info.onnx?.model === 'string');
  if (!Number.isInteger(info.latentDim) || !info.image || !info.output || !model) {
    throw new Error(`${where} lacks latentDim, image, output or a model; export it again with gantry export`);
  }
  return info as ExportManifest;
}
