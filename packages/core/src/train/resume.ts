import type { TrainConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { RunCheckpoints } from '../run/checkpointStore.js';
import { restoreVariables } from '../run/checkpointFormat.js';
import type { RunMetrics } from '../run/metricsLog.js';
import type { Gan } from './gan.js';

const lastPart = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * Loads a checkpoint into the GAN (weights, optimizer state, counters): the named one, or else
 * the newest intact one. A damaged checkpoint passed over is said once through `warn` and once in
 * the log. Returns the checkpoint's step.
 */
export async function continueFromCheckpoint(store: RunCheckpoints, gan: Gan, log: RunMetrics, warn: (line: string) => void, name?: string): Promise<number> {
  const loaded = await store.load(name);
  restoreVariables(loaded, gan.namedState());
  gan.restoreCounters(loaded.manifest.counters);
  const step = loaded.manifest.step;
  for (const skipped of loaded.skipped) {
    warn(`checkpoint ${skipped.name} skipped (${skipped.reason}); continuing from ${lastPart(loaded.dir)}`);
    await log.append({ step, event: 'checkpoint-skipped', checkpoint: skipped.name, reason: skipped.reason, resumedFrom: lastPart(loaded.dir) });
  }
  return step;
}

/**
 * The step a run starts from: 0 for a new run; for a resumed one, the step of the checkpoint it
 * continues from (`resumeFrom`, or the newest intact one), loaded into the GAN. The log keeps
 * only what an uninterrupted run would have written by then, so it continues without repeats.
 */
export async function resumeStep(options: { resume?: boolean; resumeFrom?: string }, config: TrainConfig, gan: Gan, store: RunCheckpoints, log: RunMetrics, warn: (line: string) => void): Promise<number> {
  const resume = options.resume || options.resumeFrom !== undefined;
  if (!resume) return 0;
  if (options.resumeFrom === undefined && (await store.candidates()).length === 0) {
    // a run that ended before its first checkpoint starts again at step 0; its old lines would
    // repeat steps (dropped here, under the run's lock, so no other process is writing them)
    await log.retain(() => false);
    return 0;
  }
  const startStep = await continueFromCheckpoint(store, gan, log, warn, options.resumeFrom);
  if (startStep > config.steps) {
    throw new UsageError(`the run is already at step ${startStep}; --steps is the total, so give more than ${startStep}`);
  }
  // drop what came after the checkpoint, and the extra record a run writes at its last step
  await log.retain((r) => r.step < startStep || (r.step === startStep && (startStep % config.logEvery === 0 || r.event === 'checkpoint-skipped')));
  return startStep;
}
