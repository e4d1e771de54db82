/**
 * The fields of an export's gantry.json that clients read (written by `gantry export`; the writer's
 * type is packages/gantry/src/export/exportManifest.ts). `formatVersion` changes when a meaning does.
 */
export interface ExportInfo {
  format: 'gantry-generator';
  formatVersion: number;
  gantryVersion: string;
  /** The TF.js LayersModel, relative to the export folder. */
  model: string;
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int32'; meaning: string }[];
  latentDim: number;
  image: { height: number; width: number; channels: number };
  /** G's output range; `toUnit` and `toByte` say how a value becomes a pixel. */
  output: { range: [number, number]; toUnit: string; toByte: string };
  classes: { count: number; names: string[] } | null;
  preset: string | null;
  data: string;
  step: number;
  checkpoint: string;
  weights: 'ema' | 'raw';
  bestFid: { step: number; value: number } | null;
  files: { path: string; bytes: number; sha256: string }[];
}

/** Checks that `json` is a gantry.json this code understands; throws a sentence otherwise. */
export function parseExportInfo(json: unknown, where: string): ExportInfo {
  const info = json as Partial<ExportInfo> | null;
  if (typeof info !== 'object' || info === null || info.format !== 'gantry-generator') {
    throw new Error(`${where} is not a Gantry export's gantry.json (no "format": "gantry-generator")`);
  }
  if (info.formatVersion !== 1) throw new Error(`${where} has formatVersion ${String(info.formatVersion)}; this gantry-web reads version 1`);
  if (!Number.isInteger(info.latentDim) || !info.image || !info.output || typeof info.model !== 'string') {
    throw new Error(`${where} lacks latentDim, image, output or model; export it again with gantry export`);
  }
  return info as ExportInfo;
}
