import type { TrainConfig } from '../config.js';
import type { RunCheckpoints } from '../run/checkpointStore.js';
import type { Gan } from './gan.js';

/**
 * When a run writes a checkpoint: every `checkpointEvery` steps, at its last step, when it is
 * asked to stop, and after an evaluation that is the best so far by FID (then marked as the
 * best) or that meets a quality target.
 */
export class CheckpointPolicy {
  private saved: number;

  private constructor(private readonly config: TrainConfig, private readonly store: RunCheckpoints, private readonly gan: Gan, startStep: number, private bestFid: number) {
    this.saved = startStep;
  }

  static async create(config: TrainConfig, store: RunCheckpoints, gan: Gan, startStep: number): Promise<CheckpointPolicy> {
    return new CheckpointPolicy(config, store, gan, startStep, (await store.best())?.value ?? Infinity);
  }

  /** The step of the newest checkpoint this run has (the one it started from, until it writes one). */
  get lastStep(): number {
    return this.saved;
  }

  /** After step `done`: on the cadence, at the last step, or because the run is stopping. */
  due(done: number, stopping: boolean): boolean {
    return done % this.config.checkpointEvery === 0 || done === this.config.steps || stopping;
  }

  /** Writes the checkpoint of step `done` (NonFiniteWeightsError, and nothing written, for NaN or Inf weights). */
  async save(done: number): Promise<void> {
    await this.store.save(done, this.gan.namedState(), this.gan.counters(), this.config, this.config.keepCheckpoints);
    this.saved = done;
  }

  /** After an evaluation at step `done`: keep a new best by FID, and the step that met a target. */
  async afterEvaluation(done: number, fid: number, targetMet: boolean): Promise<void> {
    const best = fid < this.bestFid;
    if (!best && !targetMet) return;
    if (this.saved !== done) await this.save(done);
    if (best) {
      this.bestFid = fid;
      await this.store.markBest(done, 'fid', fid);
    }
  }
}
