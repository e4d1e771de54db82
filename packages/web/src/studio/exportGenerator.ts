import { zipSync, type Zippable } from 'fflate';
import type { TrainConfig } from 'gantry-core/config.js';
import { generatorFiles, type GeneratorExportOptions } from 'gantry-core/export/generatorFiles.js';
import type { Gan } from 'gantry-core/train/gan.js';

/**
 * The page's generator as a zip of the export folder `gantry export` writes (model/ and/or
 * model.onnx, and gantry.json, from the same core code, so the same bytes) in the top folder
 * `name`. The export page's own files (index.html, its bundle and the WebAssembly binaries) are
 * not in it: they are the CLI's, and `gantry export` adds them.
 */
export async function exportGeneratorZip(gan: Gan, config: TrainConfig, options: GeneratorExportOptions & { name?: string } = {}): Promise<Blob> {
  const { name = 'generator', ...rest } = options;
  const { files } = await generatorFiles(gan, config, rest);
  const entries: Zippable = {};
  for (const f of files) entries[`${name}/${f.path}`] = [f.bytes, { level: f.path.endsWith('.json') ? 6 : 1 }];
  return new Blob([zipSync(entries)], { type: 'application/zip' });
}
