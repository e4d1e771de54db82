import { basename } from 'node:path';
import type { TrainConfig } from 'gantry-core/config.js';
import { UsageError } from 'gantry-core/errors.js';
import type { CheckpointStore } from '../io/checkpoint.js';
import type { MetricsLog } from '../io/metricsLog.js';
import { restoreCheckpoint } from '../runFolder/checkpoints.js';
import type { Gan } from 'gantry-core/train/gan.js';

/**
 * Loads a checkpoint into the GAN (weights, optimizer state, counters): the named one, or else
 * the newest intact one. A damaged checkpoint passed over is said once on stderr and once in the
 * log. Returns the checkpoint's step.
 */
export function continueFromCheckpoint(store: CheckpointStore, gan: Gan, log: MetricsLog, name?: string): number {
  const ckpt = restoreCheckpoint(store, gan, name);
  for (const skipped of ckpt.skipped) {
    console.error(`gantry: warning: checkpoint ${skipped.name} skipped (${skipped.reason}); continuing from ${basename(ckpt.dir)}`);
    log.append({ step: ckpt.step, event: 'checkpoint-skipped', checkpoint: skipped.name, reason: skipped.reason, resumedFrom: basename(ckpt.dir) });
  }
  return ckpt.step;
}

/**
 * The step a run starts from: 0 for a new run; for a resumed one, the step of the checkpoint it
 * continues from (`resumeFrom`, or the newest intact one), loaded into the GAN. The log keeps
 * only what an uninterrupted run would have written by then, so it continues without repeats.
 */
export function resumeStep(options: { resume?: boolean; resumeFrom?: string }, config: TrainConfig, gan: Gan, store: CheckpointStore, log: MetricsLog): number {
  const resume = options.resume || options.resumeFrom !== undefined;
  if (!resume) return 0;
  if (options.resumeFrom === undefined && store.candidates().length === 0) {
    // a run that ended before its first checkpoint starts again at step 0; its old lines would
    // repeat steps (dropped here, under the run's lock, so no other process is writing them)
    log.retain(() => false);
    return 0;
  }
  const startStep = continueFromCheckpoint(store, gan, log, options.resumeFrom);
  if (startStep > config.steps) {
    throw new UsageError(`the run is already at step ${startStep}; --steps is the total, so give more than ${startStep}`);
  }
  // drop what came after the checkpoint, and the extra record a run writes at its last step
  log.retain((r) => r.step < startStep || (r.step === startStep && (startStep % config.logEvery === 0 || r.event === 'checkpoint-skipped')));
  return startStep;
}
