import type { TrainConfig } from '../config.js';
import type { EvalResult } from '../eval/result.js';

/**
 * What ends a run besides its planned number of steps: a quality target met at an
 * evaluation, a time budget spent, or a signal.
 */

/** The quality targets (untilFid, untilKid) an evaluation meets, as one line, or null when it meets none. */
export function qualityTargetsMet(config: Pick<TrainConfig, 'untilFid' | 'untilKid'>, result: EvalResult): string | null {
  const met = [
    config.untilFid !== null && result.fid <= config.untilFid ? `FID ${result.fid.toFixed(3)} <= ${config.untilFid}` : null,
    config.untilKid !== null && result.kid.mean <= config.untilKid ? `KID ${result.kid.mean.toFixed(4)} <= ${config.untilKid}` : null,
  ].filter((t): t is string => t !== null);
  return met.length > 0 ? met.join(', ') : null;
}

/**
 * A budget of training time for one invocation (`gantry train --minutes N`), counted from its
 * first step: once spent, the loop checkpoints the step it is on and stops, and `--resume`
 * continues from there. `now` is injectable for tests.
 */
export class TimeBudget {
  private readonly start: number;
  constructor(readonly minutes: number, private readonly now: () => number = () => performance.now()) {
    this.start = now();
  }

  spent(): boolean {
    return this.now() - this.start >= this.minutes * 60_000;
  }
}

/** Training stopped on request, after writing a checkpoint. */
export class TrainingStoppedError extends Error {
  readonly exitCode: number;
  constructor(readonly signal: string, readonly step: number) {
    super(`stopped by ${signal} at step ${step}; a checkpoint of that step is written; continue with --resume`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}
