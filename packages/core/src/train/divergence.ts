import type { TrainConfig } from '../config.js';
import type { RunCheckpoints } from '../run/checkpointStore.js';
import type { RunMetrics } from '../run/metricsLog.js';
import type { Gan, StepStats } from './gan.js';
import type { ProgressSink } from './progressSink.js';
import { continueFromCheckpoint } from './resume.js';

export class TrainingDivergedError extends Error {
  readonly exitCode = 1;
}

/** Why a logging step counts as diverged (a loss or a weight is NaN or infinite), or null. */
export function nonFiniteReason(stats: StepStats, gan: Gan): string | null {
  // the step's own read says whether the weights are finite; a synchronous read otherwise
  if (!Number.isFinite(stats.lossD) || !Number.isFinite(stats.lossG) || !(stats.weightsFinite ?? gan.weightsFinite())) return `L_D = ${stats.lossD}, L_G = ${stats.lossG}`;
  return null;
}

/**
 * NaN or Inf: never checkpoint it; roll back to the last good checkpoint, then stop
 * (onDivergence "stop") or go on with halved learning rates ("lower-lr", at most 3 times).
 */
export class DivergencePolicy {
  private lowered = 0;

  constructor(
    private readonly config: TrainConfig,
    private readonly store: RunCheckpoints,
    private readonly gan: Gan,
    private readonly log: RunMetrics,
    private readonly progress: ProgressSink,
    private readonly warn: (line: string) => void,
  ) {}

  /** Logs the divergence at `step` and rolls back: returns the step to go on from, or throws TrainingDivergedError. */
  async rollBack(step: number, what: string): Promise<number> {
    await this.log.append({ step, event: 'diverged', detail: what });
    if (!(await this.store.latestName())) {
      throw new TrainingDivergedError(`training diverged at step ${step} (${what}) before the first checkpoint, so there is nothing to roll back to; lower the learning rate and start again`);
    }
    const back = await continueFromCheckpoint(this.store, this.gan, this.log, this.warn);
    if (this.config.onDivergence === 'lower-lr' && this.lowered < 3) {
      this.lowered += 1;
      this.gan.optG.learningRateScale *= 0.5;
      this.gan.optD.learningRateScale *= 0.5;
      this.progress.line(`diverged at step ${step} (${what}); rolled back to step ${back} and halved the learning rates (scale ${this.gan.optG.learningRateScale})`);
      await this.log.retain((r) => r.step <= back || r.event === 'diverged');
      return back;
    }
    throw new TrainingDivergedError(`training diverged at step ${step} (${what}); rolled back to the checkpoint of step ${back}, which is intact; lower the learning rate (optimizerG/optimizerD in --config) or set onDivergence to "lower-lr", then continue with --resume`);
  }
}
