import { UsageError } from 'gantry-core/errors.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { loadEmbedded } from './embedded.js';
import { loadEmoji } from './emoji.js';
import { parseDataSpec, type DataSpec } from 'gantry-core/data/spec.js';
import { loadFolder } from './folder.js';
import { loadIdx } from './idx.js';
import { loadNpy } from './npy.js';
import { shapeText, type SourceOptions } from './sourceCommon.js';

export { parseDataSpec, type DataSpec };

/**
 * Loads the images a data spec names, validated: NHWC float32 in [0, 1].
 * `opts.shape` is what the model wants: folders are resized to it; any other source whose
 * images have another shape is an error. `opts.limit` keeps the first images only.
 */
export async function loadDataset(spec: string, opts: SourceOptions = {}): Promise<ImageSet> {
  const parsed = parseDataSpec(spec);
  if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 1)) {
    throw new UsageError(`data limit must be a positive whole number, got ${opts.limit}`);
  }
  if (opts.shape !== undefined) checkShape(opts.shape);
  const loaded = await loadSource(parsed, opts);
  // decoded sources set `flip` themselves; the spread is only for float sources (no lazy pixels to trigger)
  const set = opts.image?.flip && !loaded.flip ? { ...loaded, flip: true } : loaded;
  const want = opts.shape;
  if (want && (set.height !== want.height || set.width !== want.width || set.channels !== want.channels)) {
    throw new UsageError(
      `${spec} holds ${shapeText(set)} images but the model expects ${shapeText(want)}; ` +
      'use data of that shape (or a folder:PATH or emoji, which are resized) or a model configured for the data',
    );
  }
  return set;
}

function loadSource(spec: DataSpec, opts: SourceOptions): Promise<ImageSet> {
  switch (spec.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return loadEmbedded(spec.kind, { limit: opts.limit });
    case 'idx':
      return loadIdx(spec.path, { limit: opts.limit });
    case 'npy':
      return loadNpy(spec.path, { limit: opts.limit });
    case 'folder':
      return loadFolder(spec.path, opts);
    case 'emoji':
      return loadEmoji(spec.set, opts);
  }
}

function checkShape(shape: SourceOptions['shape'] & object): void {
  const ok = [shape.height, shape.width].every((d) => Number.isSafeInteger(d) && d >= 1) && [1, 3].includes(shape.channels);
  if (!ok) throw new UsageError(`image shape ${shapeText(shape)} is invalid; height and width must be positive and channels 1 or 3`);
}
