import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Folders made by this test file, removed when its process exits.
const made: string[] = [];

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh folder in the system's temp folder, removed with everything in it when the test file's
 * process exits. Not in an `after` hook: a folder made in a `before` hook would then be removed as
 * soon as that hook returns, and one made at the top of a file would be removed before the file's
 * own `after` hooks stop the servers, browsers and Redis instances still using it. At exit, every
 * hook has run and every child process has been stopped.
 */
export function tempDir(prefix = 'gantry-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeAll);
  made.push(dir);
  return dir;
}
