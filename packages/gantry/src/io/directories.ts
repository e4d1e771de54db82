import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';

const reasons: Record<string, string> = {
  ENOENT: 'the file system refuses new folders there',
  ENOTDIR: 'a part of the path is a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'a name is too long',
  ELOOP: 'too many symbolic links',
};

/** A folder could not be made; `code` is the file system's answer (ENOTDIR where a file stands in the way). */
export class DirectoryError extends UsageError {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/**
 * Create the folder `dir` and its missing parents, like `mkdir -p`, and fail with one line that
 * names `what` (for example "run directory") when it cannot be made.
 *
 * Why not `mkdirSync(dir, { recursive: true })`: Node 20's recursive mkdir never returns when the
 * kernel answers ENOENT for a folder whose parent exists (as /proc does); it spins at full CPU. This
 * walk is bounded by the number of components in the path: it finds the deepest existing ancestor,
 * then creates each missing component once, non-recursively.
 */
export function makeDirectory(dir: string, what: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const stat = statOrNull(existing);
    if (stat) {
      if (!stat.isDirectory()) {
        throw new DirectoryError(`cannot create ${what} ${dir}: ${existing} is a file, not a folder; choose another location`, 'ENOTDIR');
      }
      break;
    }
    missing.push(existing);
    const parent = dirname(existing);
    if (parent === existing) break; // the root itself is missing: mkdir below reports why
    existing = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      // another process made it in the meantime
      if (code === 'EEXIST' && statOrNull(folder)?.isDirectory()) continue;
      const why = reasons[code] ? `${code}: ${reasons[code]}` : code;
      throw new DirectoryError(`cannot create ${what} ${dir} (${why} at ${folder}); choose a writable location`, code);
    }
  }
}

/** The stat of `path`, or null when nothing is there (ENOENT) or a parent is a file (ENOTDIR). */
function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}
