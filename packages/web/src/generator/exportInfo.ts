import { checkExportManifest, type ExportManifest } from 'gantry-core/export/format.js';

/**
 * An export's gantry.json as clients read it: the writer's own type
 * (packages/core/src/export/format.ts), except that any `formatVersion` is read and then checked.
 */
export type ExportInfo = Omit<ExportManifest, 'formatVersion'> & { formatVersion: number };

/** Checks that `json` is a gantry.json this code understands; throws a sentence otherwise. */
export function parseExportInfo(json: unknown, where: string): ExportInfo {
  return checkExportManifest(json, where);
}
