import { existsSync } from 'node:fs';
import { resolveTrainConfig, type TrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import { CheckpointStore, restoreVariables, type LoadedCheckpoint, type SkippedCheckpoint } from '../io/checkpoint.js';
import { Gan } from 'gantry-core/train/gan.js';

/** A loaded checkpoint's tensors into the GAN's variables, and its counters. */
function putBack(loaded: LoadedCheckpoint, gan: Gan): void {
  restoreVariables(loaded, gan.namedState());
  gan.restoreCounters(loaded.manifest.counters);
}

/**
 * A trained GAN loaded from a run directory's checkpoint: the named one, or else the newest intact
 * one (`skipped` lists the damaged ones passed over, with why). `weights` (`--weights`) says which G
 * its samples come from: 'ema', G's moving average, which a run without one refuses, or 'raw', G's
 * trained weights; by default the average where the run keeps one.
 */
export function openRun(runDir: string, checkpointName?: string, weights?: 'ema' | 'raw'): { gan: Gan; config: TrainConfig; step: number; checkpointDir: string; skipped: SkippedCheckpoint[] } {
  if (!existsSync(runDir)) throw new UsageError(`run directory ${runDir} does not exist; pass the --out of a training run`);
  const loaded = new CheckpointStore(runDir).load(checkpointName);
  const stored = loaded.manifest.config;
  if (typeof stored !== 'object' || stored === null) throw new UsageError(`checkpoint ${loaded.dir} holds no config; it is damaged`);
  const config = resolveTrainConfig({}, stored as never, `${loaded.dir}/manifest.json config`);
  const gan = new Gan(config);
  try {
    if (weights === 'ema' && !gan.Gema) {
      throw new UsageError(`--weights ema: run ${runDir} keeps no EMA of G (its config has no "ema"); use --weights raw`);
    }
    gan.sampleWeights = weights ?? 'ema';
    putBack(loaded, gan);
  } catch (e) {
    gan.dispose();
    throw e;
  }
  return { gan, config, step: loaded.manifest.step, checkpointDir: loaded.dir, skipped: loaded.skipped };
}

