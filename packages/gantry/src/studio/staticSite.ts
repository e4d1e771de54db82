import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from 'gantry-core/errors.js';
import { removeStaleTemporaries, temporaryPathFor } from '../io/atomicFile.js';
import { makeDirectory } from '../io/directories.js';
import { gantryVersion } from 'gantry-core/version.js';
import { dataIndex, StudioSetCache } from './dataSets.js';
import { missingPageFiles, notBuiltMessage, studioPageFiles } from './pageFiles.js';

/**
 * The file that marks a folder as a studio build, so that a later `--static` may replace it: any
 * other non-empty folder is refused, never overwritten.
 */
export const STUDIO_MARKER = '.gantry-studio';

interface Marker {
  format: 'gantry-studio-site';
  gantryVersion: string;
  files: string[];
}

function isStudioBuild(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, STUDIO_MARKER), 'utf8')) as Partial<Marker>).format === 'gantry-studio-site';
  } catch {
    return false;
  }
}

/** The checks on DIR that need no work done: a usage error before anything is built or written. */
function checkTarget(dir: string): void {
  let ancestor = dirname(dir);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) throw new UsageError(`--static ${dir}: ${ancestor} is a file, not a folder; choose another folder`);
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--static ${dir} is a file; give a new or empty folder`);
  const entries = readdirSync(dir);
  if (entries.length > 0 && !isStudioBuild(dir)) {
    throw new UsageError(`--static ${dir} holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); give a new or empty folder, or one an earlier 'gantry studio --static' wrote`);
  }
}

function unwritable(dir: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code) throw e;
  throw new UsageError(`cannot write the studio to ${dir} (${code}); choose a writable --static folder`);
}

/**
 * Writes the studio page, its bundle, the export page for Preview (preview/) and every data set
 * into `dir` for any static host. All is
 * written into a temporary folder beside `dir` and renamed into place at the end: a build that
 * fails leaves `dir` as it was, and an earlier build is swapped out whole (moved aside, then removed).
 */
export async function writeStudioSite(dir: string, sets = new StudioSetCache()): Promise<{ files: string[] }> {
  // what a build killed mid-write left goes first (an earlier build it had moved aside comes back)
  removeStaleTemporaries(dir);
  checkTarget(dir);
  const page = studioPageFiles();
  const missing = missingPageFiles(page);
  if (missing.length > 0) throw new Error(`${notBuiltMessage} (${missing.map((f) => f.from).join(', ')} missing)`);
  const built = await sets.all();

  let tmp: string | undefined;
  try {
    try {
      makeDirectory(dirname(dir), 'folder for --static');
      tmp = temporaryPathFor(dir, 'studio');
      makeDirectory(join(tmp, 'data'), 'studio folder');
    } catch (e) {
      unwritable(dir, e);
    }
    const files: string[] = [];
    for (const f of page) {
      if (f.optional && !existsSync(f.from)) continue;
      makeDirectory(dirname(join(tmp!, ...f.name.split('/'))), 'studio folder');
      copyFileSync(f.from, join(tmp!, ...f.name.split('/')));
      files.push(f.name);
    }
    for (const b of built) {
      writeFileSync(join(tmp!, 'data', b.entry.file), b.file);
      files.push(`data/${b.entry.file}`);
    }
    writeFileSync(join(tmp!, 'data', 'index.json'), JSON.stringify(dataIndex(built.map((b) => b.entry)), null, 2) + '\n');
    files.push('data/index.json');
    const marker: Marker = { format: 'gantry-studio-site', gantryVersion, files };
    writeFileSync(join(tmp!, STUDIO_MARKER), JSON.stringify(marker, null, 2) + '\n');

    const old = existsSync(dir) ? `${tmp}.old` : undefined;
    if (old) renameSync(dir, old);
    try {
      renameSync(tmp!, dir);
    } catch (e) {
      if (old) renameSync(old, dir);
      throw e;
    }
    tmp = undefined;
    if (old) rmSync(old, { recursive: true, force: true });
    return { files };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code) unwritable(dir, e);
    throw e;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
