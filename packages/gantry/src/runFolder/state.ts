import type { RunState } from 'gantry-core/dashboard/wire.js';
import type { LockStatus } from './lock.js';

export interface StateEvidence {
  lock: LockStatus;
  /** The planned total (config.json's `steps`), or null when unknown. */
  totalSteps: number | null;
  /** The step of the last metrics record that is not an event. */
  lastStep: number | null;
  /** The event of the very last record, if it is one (`diverged`). */
  lastEvent: string | null;
  /** The step of the checkpoint latest.json names. */
  checkpointStep: number | null;
  /** The run stopped early on a quality target: the last FID or KID met --until-fid / --until-kid. */
  targetMet: boolean;
}

/**
 * How a run stands, from what the trainer leaves behind:
 * - running: a live process holds train.lock;
 * - crashed: train.lock was left by a process that is gone (killed), or the run ended with its
 *   last records past its last checkpoint and no other explanation (an internal error);
 * - diverged: the last record is a `diverged` event (the trainer stopped after rolling back);
 * - finished: the latest checkpoint (or the last record) reached the planned steps, or a quality
 *   target stopped it;
 * - stopped: it ended short of the plan with a checkpoint of its last step (SIGINT, SIGTERM:
 *   the trainer checkpoints before it exits).
 */
export function deriveState(e: StateEvidence): RunState {
  if (e.lock.kind === 'live') return 'running';
  if (e.lock.kind === 'stale') return 'crashed';
  if (e.lastEvent === 'diverged') return 'diverged';
  const reached = Math.max(e.checkpointStep ?? -1, e.lastStep ?? -1);
  if (e.totalSteps !== null && reached >= e.totalSteps) return 'finished';
  if (e.targetMet) return 'finished';
  if (e.checkpointStep !== null && e.checkpointStep >= (e.lastStep ?? 0)) return 'stopped';
  return 'crashed';
}
