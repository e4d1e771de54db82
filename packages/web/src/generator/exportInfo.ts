import type { ExportManifest } from '../../../gantry/src/export/format.js';

/**
 * An export's gantry.json as clients read it: the writer's own type
 * (packages/gantry/src/export/format.ts), except that any `formatVersion` is read and then checked.
 */
export type ExportInfo = Omit<ExportManifest, 'formatVersion'> & { formatVersion: number };

/** Checks that `json` is a gantry.json this code understands; throws a sentence otherwise. */
export function parseExportInfo(json: unknown, where: string): ExportInfo {
  const info = json as Partial<ExportInfo> | null;
  if (typeof info !== 'object' || info === null || info.format !== 'gantry-generator') {
    throw new Error(`${where} is not a Gantry export's gantry.json (no "format": "gantry-generator")`);
  }
  if (info.formatVersion !== 1) throw new Error(`${where} has formatVersion ${String(info.formatVersion)}; this gantry-web reads version 1`);
  const model = typeof info.model === 'string' || (info.model === null && typeof info.onnx?.model === 'string');
  if (!Number.isInteger(info.latentDim) || !info.image || !info.output || !model) {
    throw new Error(`${where} lacks latentDim, image, output or a model; export it again with gantry export`);
  }
  return info as ExportInfo;
}
