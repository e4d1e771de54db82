import { UsageError } from '../errors.js';
import {
  candidateOrder, checkpointName, checkpointWriteError, checkpointsToPrune, decodeCheckpoint, DamagedCheckpointError, encodeCheckpoint,
  gatherWeights, parseBestPointer, parseLatestPointer, stepDirName, type BestCheckpoint, type LoadedCheckpoint, type SkippedCheckpoint,
  type VariableGroups,
} from './checkpointFormat.js';
import { readText, storeErrorCode, type RunStore } from './store.js';

const dir = 'checkpoints';

/**
 * A run's checkpoints in its store: checkpoints/step-NNNNNNNNN/{manifest.json, weights.bin}, and
 * checkpoints/latest.json naming the newest complete one. A checkpoint is written into a
 * temporary folder, then published under its name; the pointer is updated last. A crash at any
 * moment leaves the previous pointer and the checkpoint it names intact.
 */
export class RunCheckpoints {
  private readonly token = Math.random().toString(36).slice(2, 10);

  constructor(private readonly store: RunStore) {}

  /** Where the checkpoints are, as messages name them. */
  get where(): string {
    return `${this.store.location}/${dir}`;
  }

  /** Writes the checkpoint of `step`; NonFiniteWeightsError (and nothing written) for NaN or Inf weights. */
  async save(step: number, groups: VariableGroups, counters: Record<string, number>, config: unknown, keep: number): Promise<string> {
    const { entries, weights } = await gatherWeights(groups);
    const { manifestText, bytes } = encodeCheckpoint(step, entries, weights, counters, config);
    const name = stepDirName(step);
    const tmp = `${dir}/.tmp-${name}-${this.token}`;
    try {
      await this.store.remove(tmp);
      await this.store.write(`${tmp}/weights.bin`, bytes);
      await this.store.write(`${tmp}/manifest.json`, manifestText);
      await this.store.publish(tmp, `${dir}/${name}`);
      await this.store.write(`${dir}/latest.json`, JSON.stringify({ step, dir: name }) + '\n');
    } catch (e) {
      try {
        await this.store.remove(tmp);
      } catch {
        // the failure that brought us here matters more
      }
      const code = storeErrorCode(e);
      if (!code) throw e;
      throw checkpointWriteError(name, this.where, code, await this.latestName());
    }
    await this.prune(keep, name);
    return `${dir}/${name}`;
  }

  /** Remember a checkpoint as the best so far (by `metric`); pruning keeps it. */
  async markBest(step: number, metric: string, value: number): Promise<void> {
    await this.store.write(`${dir}/best.json`, JSON.stringify({ step, dir: stepDirName(step), metric, value }) + '\n');
  }

  async best(): Promise<BestCheckpoint | null> {
    const names = new Set(await this.store.list(dir));
    return parseBestPointer(await readText(this.store, `${dir}/best.json`), (d) => names.has(d));
  }

  /** Remove older complete checkpoints beyond the newest `keep` (never the best), and leftovers of crashed writes. */
  private async prune(keep: number, newest: string): Promise<void> {
    const names = await this.store.list(dir);
    for (const n of names) if (n.startsWith('.tmp-') && !n.endsWith(`-${this.token}`)) await this.store.remove(`${dir}/${n}`);
    const best = (await this.best())?.dir;
    for (const n of checkpointsToPrune(names, keep, newest, best)) await this.store.remove(`${dir}/${n}`);
  }

  /** The newest complete checkpoint's name, or null when there is none. */
  async latestName(): Promise<string | null> {
    return parseLatestPointer(await readText(this.store, `${dir}/latest.json`));
  }

  /** Checkpoint names to try when resuming, newest first (see candidateOrder). */
  async candidates(): Promise<string[]> {
    return candidateOrder(await this.latestName(), await this.store.list(dir));
  }

  /**
   * Load and verify a checkpoint. With a name, exactly that one (a damaged one is an error).
   * Without, the newest intact one: those passed over on the way are returned in `skipped`.
   */
  async load(name?: string): Promise<LoadedCheckpoint & { skipped: SkippedCheckpoint[] }> {
    if (name !== undefined) {
      const chosen = checkpointName(name);
      const known = await this.candidates();
      if (!known.includes(chosen)) {
        throw new UsageError(`no checkpoint ${chosen} in ${this.where}; ${known.length ? `it has ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', ...' : ''}` : 'it has none'}`);
      }
      return { ...(await this.read(chosen)), skipped: [] };
    }
    const skipped: SkippedCheckpoint[] = [];
    for (const candidate of await this.candidates()) {
      try {
        return { ...(await this.read(candidate)), skipped };
      } catch (e) {
        if (!(e instanceof DamagedCheckpointError)) throw e;
        skipped.push({ name: candidate, reason: e.reason });
      }
    }
    if (skipped.length === 0) throw new UsageError(`no complete checkpoint in ${this.where}; train first (or check --run)`);
    const list = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    throw new UsageError(`no intact checkpoint in ${this.where} (${list}); the run cannot be continued or sampled; train it again in a new --out`);
  }

  private async read(name: string): Promise<LoadedCheckpoint> {
    const path = `${dir}/${name}`;
    return decodeCheckpoint(`${this.store.location}/${path}`, await readText(this.store, `${path}/manifest.json`), await this.store.read(`${path}/weights.bin`));
  }
}
