import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { evalRecord, type EvalResult } from '../eval/result.js';
import type { MetricsRecord, RunMetrics } from '../run/metricsLog.js';
import type { StepStats } from './gan.js';
import type { ProgressSink } from './progressSink.js';

/**
 * The run's records: one per logging step (losses, D's outputs, and the speed over the steps
 * since the previous record), one per evaluation. Each goes to metrics.jsonl, to `onLog`, and
 * to the terminal as one line.
 */
export class StepLog {
  readonly startedAt = Date.now();
  private windowStart = performance.now();
  private windowSteps = 0;

  constructor(
    private readonly config: TrainConfig,
    private readonly log: RunMetrics,
    private readonly progress: ProgressSink,
    private readonly onLog?: (record: MetricsRecord) => void,
    /** The process's resident memory in MB, where the runtime can tell (Node). */
    private readonly memoryMb: () => number | null = () => null,
  ) {}

  /** Counts one trained step toward the speed of the next record. */
  stepTrained(): void {
    this.windowSteps += 1;
  }

  /** Steps per second since the previous record (for the progress bar). */
  stepsPerSecond(): number {
    return 1000 / Math.max(1e-9, (performance.now() - this.windowStart) / Math.max(1, this.windowSteps));
  }

  /** The record of a logging step: `done` steps trained, the last of them in `epoch`. */
  async step(done: number, epoch: number, stats: StepStats): Promise<void> {
    const now = performance.now();
    const record = metricsRecord(done, epoch, stats, this.windowSteps, (now - this.windowStart) / 1000, this.config.batchSize, this.startedAt, this.memoryMb());
    this.windowStart = now;
    this.windowSteps = 0;
    await this.write(record);
    this.progress.line(formatLogLine(record, this.config.steps));
  }

  /** The record of an evaluation after `done` steps. */
  async evaluation(done: number, result: EvalResult): Promise<void> {
    await this.write({ step: done, ...evalRecord(result) });
    this.progress.line(`eval at step ${done}: FID ${result.fid.toFixed(2)}  KID ${result.kid.mean.toFixed(3)}  IS ${result.is.mean.toFixed(2)}  precision ${result.precision.toFixed(3)}  recall ${result.recall.toFixed(3)}  classes ${result.coverage.classes}`);
  }

  private async write(record: MetricsRecord): Promise<void> {
    await this.log.append(record);
    this.onLog?.(record);
  }
}

function metricsRecord(step: number, epoch: number, s: StepStats, windowSteps: number, seconds: number, batchSize: number, startedAt: number, rssMb: number | null): MetricsRecord {
  return {
    step,
    epoch,
    'loss/D': s.lossD,
    'loss/G': s.lossG,
    'D/real': s.dReal,
    'D/fake': s.dFake,
    'D/acc_real': s.accReal,
    'D/acc_fake': s.accFake,
    ...(s.penalty !== undefined ? { 'loss/penalty': s.penalty } : {}),
    ...(s.augmentP !== undefined ? { 'augment/p': s.augmentP } : {}),
    'perf/images_per_s': seconds > 0 ? (windowSteps * batchSize) / seconds : null,
    'perf/ms_per_step': windowSteps > 0 ? (1000 * seconds) / windowSteps : null,
    'time/elapsed_s': (Date.now() - startedAt) / 1000,
    // for spotting leaks in long runs: both should stay flat
    'perf/rss_mb': rssMb,
    'perf/tensors': tf.memory().numTensors,
  };
}

function formatLogLine(r: MetricsRecord, total: number): string {
  const f = (k: string, d = 4) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(d) : '-');
  return `step ${r.step}/${total} epoch ${r.epoch}  L_D ${f('loss/D')}  L_G ${f('loss/G')}  D(x) ${f('D/real', 3)}  D(G(z)) ${f('D/fake', 3)}  acc ${f('D/acc_real', 2)}/${f('D/acc_fake', 2)}  ${f('perf/images_per_s', 0)} img/s`;
}
