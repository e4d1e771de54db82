import { basename } from 'node:path';
import type { SkippedCheckpoint } from '../io/checkpoint.js';

/** One warning line per damaged checkpoint that was passed over for an older, intact one. */
export function warnSkippedCheckpoints(skipped: readonly SkippedCheckpoint[], usedDir: string): void {
  for (const s of skipped) console.error(`gantry: warning: checkpoint ${s.name} skipped (${s.reason}); using ${basename(usedDir)}`);
}
