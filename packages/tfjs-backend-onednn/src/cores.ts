import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The cores this process may use: the CPUs it is allowed to run on, capped by a cgroup CPU
 * quota (containers and CI runners often allow fewer cores than the machine has).
 */
export function availableCores(): number {
  let cores = availableParallelism();
  const quota = (text: string, period: string) => {
    const q = Number(text);
    const p = Number(period);
    if (Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0) cores = Math.min(cores, Math.max(1, Math.floor(q / p)));
  };
  try {
    const [q, p] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/); // cgroup v2: "max 100000" or "200000 100000"
    if (q !== 'max') quota(q, p);
  } catch {
    try {
      quota(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8').trim(), readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us', 'utf8').trim()); // cgroup v1; -1 is no quota
    } catch {
      // no cgroup limits to read
    }
  }
  return cores;
}
