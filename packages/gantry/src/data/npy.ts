import { UsageError } from 'gantry-core/errors.js';
import { readNpy } from '../io/npy.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { bytesToPixels01 } from 'gantry-core/data/bytePixels.js';
import { keptCount, type SourceOptions } from './sourceCommon.js';

/**
 * Loads images from a .npy array shaped [N, H, W] or [N, H, W, C] (C = 1 or 3):
 * uint8 (scaled by 1/255), or float32 / float64 with every value already in [0, 1].
 */
export async function loadNpy(path: string, opts: SourceOptions = {}): Promise<ImageSet> {
  const source = `npy:${path}`;
  let array;
  try {
    array = await readNpy(path);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.replace(path, source));
    throw e;
  }
  const { shape, dtype, data } = array;
  const shapeText = `(${shape.join(', ')})`;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new UsageError(`${source} has shape ${shapeText}; expected images [N, H, W] or [N, H, W, C] with C = 1 or 3`);
  }
  const [n, height, width] = shape as [number, number, number];
  const channels = shape[3] ?? 1;
  if (channels !== 1 && channels !== 3) {
    throw new UsageError(`${source} has shape ${shapeText} with ${channels} channels; expected C = 1 (grayscale) or 3 (RGB), channels last`);
  }
  if (n === 0 || height === 0 || width === 0) throw new UsageError(`${source} is empty (shape ${shapeText}); it needs at least one image`);

  const count = keptCount(n, opts.limit);
  const used = count * height * width * channels;
  let pixels01: Float32Array;
  if (dtype === 'uint8') {
    pixels01 = bytesToPixels01((data as Uint8Array).subarray(0, used));
  } else {
    // Check every value, not just the kept ones: a bad file should fail whatever the limit.
    checkUnitRange(data as Float32Array | Float64Array, source);
    pixels01 = dtype === 'float32' ? (used === data.length ? data as Float32Array : (data as Float32Array).slice(0, used)) : Float32Array.from(data.subarray(0, used));
  }
  return { source, count, height, width, channels, pixels01 };
}

function checkUnitRange(values: Float32Array | Float64Array, source: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >= 0 && v <= 1) continue;
    if (Number.isNaN(v)) throw new UsageError(`${source} contains NaN (first at flat index ${i}); remove or replace NaN values`);
    if (!Number.isFinite(v)) throw new UsageError(`${source} contains ${v} (first at flat index ${i}); images must be finite values in [0, 1]`);
    throw new UsageError(`${source} has value ${v} at flat index ${i}, outside [0, 1]; float images must lie in [0, 1] (divide bytes by 255, or save as uint8)`);
  }
}
