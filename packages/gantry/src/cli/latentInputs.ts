import type { TrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { readNpy } from '../io/npy.js';
import { readNpyIntegers } from '../io/npyIntegers.js';

/** Latents (and class labels) given as files, checked against the run they are for. */
export interface LatentInputs {
  /** float32 [n, latentDim], row-major. */
  z: Float32Array;
  n: number;
  /** int32 [n] in [0, classes), for a conditional run. */
  labels?: Int32Array;
}

/**
 * Reads `--z FILE.npy` (float32 [N, latent]) and `--labels FILE.npy` (integers [N]) for a run
 * with `config`; every mismatch is a usage error that says what the file must hold.
 */
export async function readLatentInputs(zPath: string, labelsPath: string | undefined, config: TrainConfig): Promise<LatentInputs> {
  const latent = config.latentDim;
  const arr = await readNpy(zPath);
  if (arr.dtype !== 'float32') {
    throw new UsageError(`--z ${zPath} holds ${arr.dtype}; latents must be float32 [N, ${latent}] (numpy: z.astype('float32'))`);
  }
  if (arr.shape.length !== 2 || arr.shape[1] !== latent || arr.shape[0] === 0) {
    throw new UsageError(`--z ${zPath} has shape (${arr.shape.join(', ')}); this run's latents are [N, ${latent}] with N >= 1`);
  }
  const n = arr.shape[0]!;
  const z = arr.data as Float32Array;
  const bad = z.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`--z ${zPath} has ${z[bad]} at flat index ${bad}; latents must be finite`);
  const classes = config.conditional ? config.numClasses : null;
  if (!labelsPath) {
    if (classes) throw new UsageError(`this run is conditional (${classes} classes): give --labels FILE.npy, integers [${n}] in 0..${classes - 1}`);
    return { z, n };
  }
  if (!classes) throw new UsageError(`--labels needs a conditional run; this run was trained without labels (drop --labels)`);
  const { shape, values } = await readNpyIntegers(labelsPath);
  if (shape.length !== 1 || shape[0] !== n) {
    throw new UsageError(`--labels ${labelsPath} has shape (${shape.join(', ')}); it must be [${n}], one class per latent`);
  }
  const out = values.findIndex((v) => v < 0 || v >= classes);
  if (out >= 0) throw new UsageError(`--labels ${labelsPath} has ${values[out]} at index ${out}; classes are 0 to ${classes - 1}`);
  return { z, n, labels: Int32Array.from(values) };
}
