import { unzipSync, zipSync, type Zippable } from 'fflate';
import { UsageError } from '../errors.js';
import { decodeCheckpoint, isStepDirName, parseBestPointer, parseLatestPointer, type CheckpointManifest } from './checkpointFormat.js';
import { storeErrorCode, type RunStore } from './store.js';

/**
 * A run as one zip file, so that it moves between a page and the CLI: packRun in a page and
 * `unzip` then `gantry train --resume --out DIR` on a machine, or `zip -r` of a run folder and
 * unpackRun in a page. The zip holds the run folder's files and nothing else:
 *
 *   NAME/config.json, NAME/metrics.jsonl, NAME/samples/step-N.png, NAME/studio.json (a page's run),
 *   NAME/checkpoints/{latest.json, best.json, step-NNNNNNNNN/{manifest.json, weights.bin}}
 *
 * Unpacking trusts nothing in the zip: every name is checked against that layout (no `..`, no
 * absolute path, nothing else) and every checkpoint is verified before the first file is written.
 */

/** The run's files by role, as a zip's entries (below its top folder) must be named. */
const layout: { pattern: RegExp; store: boolean }[] = [
  { pattern: /^config\.json$/, store: false },
  // the studio page's own file (its backend and data title); a CLI run has none, and ignores it
  { pattern: /^studio\.json$/, store: false },
  { pattern: /^metrics\.jsonl$/, store: false },
  { pattern: /^samples\/step-\d+\.png$/, store: true }, // PNG is compressed already
  { pattern: /^checkpoints\/(latest|best)\.json$/, store: false },
  { pattern: /^checkpoints\/step-\d+\/(manifest\.json|weights\.bin)$/, store: false },
];

const layoutHint = 'a run zip holds config.json, metrics.jsonl, studio.json (optional), samples/step-N.png and checkpoints/ (latest.json, best.json, step-N/manifest.json and weights.bin), in one top folder or none';

/**
 * What a run folder may hold that is not the run: the training lock, leftovers of writes a killed
 * process left behind (`.NAME.KIND-...` files, `checkpoints/.tmp-...` folders), and what an
 * operating system's zip tool adds (`.DS_Store`, macOS's `._NAME` companions, `Thumbs.db`).
 * They are left out, never unpacked.
 */
function isNotTheRun(relative: string): boolean {
  const parts = relative.split('/');
  const last = parts[parts.length - 1]!;
  return relative === 'train.lock' || parts.some((p) => p.startsWith('.tmp-') || /^\..+\.[a-z]+-\d+@/.test(p)) || last === '.DS_Store' || last === 'Thumbs.db' || last.startsWith('._');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The run in `store` as a zip whose top folder is `name`. */
export async function packRun(store: RunStore, name: string): Promise<Uint8Array> {
  checkTopName(name, 'the run name');
  const files: Zippable = {};
  const add = async (path: string) => {
    const bytes = await store.read(path);
    if (bytes === null) return;
    const stored = layout.find((l) => l.pattern.test(path))?.store ?? false;
    files[`${name}/${path}`] = [bytes, { level: stored ? 0 : 6 }];
  };
  if ((await store.read('config.json')) === null) {
    throw new UsageError(`${store.location} holds no run (no config.json); train first, or name the run's folder`);
  }
  await add('config.json');
  await add('metrics.jsonl');
  await add('studio.json');
  for (const n of (await store.list('samples')).filter((n) => /^step-\d+\.png$/.test(n)).sort()) await add(`samples/${n}`);
  for (const n of (await store.list('checkpoints')).filter(isStepDirName).sort()) {
    await add(`checkpoints/${n}/manifest.json`);
    await add(`checkpoints/${n}/weights.bin`);
  }
  await add('checkpoints/best.json');
  await add('checkpoints/latest.json');
  return zipSync(files);
}

function checkTopName(name: string, what: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\:\0]/.test(name)) {
    throw new UsageError(`${what} '${name}' cannot be a folder name; give a plain name such as my-run`);
  }
}

/** Refuses a zip entry's name that could land outside the run (absolute, `..`, a drive, backslashes). */
function checkEntryName(entry: string): void {
  const refuse = (why: string) => {
    throw new UsageError(`the zip's entry '${entry}' ${why}; a run zip holds only relative paths inside the run, so it was not unpacked (make it again with Gantry or with zip -r of the run folder)`);
  };
  if (entry.startsWith('/') || entry.startsWith('\\')) refuse('is an absolute path');
  if (/^[A-Za-z]:/.test(entry)) refuse('names a drive');
  if (entry.includes('\\')) refuse('has a backslash in its path');
  if (entry.includes('\0')) refuse('has a NUL character in its name');
  const parts = entry.replace(/\/$/, '').split('/');
  if (parts.includes('..')) refuse('climbs out of the folder (..)');
  if (parts.some((p) => p === '' || p === '.')) refuse('has an empty or "." part in its path');
}

export interface UnpackedRun {
  /** The zip's top folder, or `fallbackName` for a zip of the folder's contents. */
  name: string;
  /** The step of the checkpoint a resume continues from, or null for a run with no checkpoint yet. */
  step: number | null;
  /** Files written into the store. */
  files: number;
}

/**
 * Checks a run zip (from packRun, or `zip -r` of a run folder, with one top folder or none) and
 * writes its files into `store`, which must be empty. Anything unsafe or not a run is a
 * one-line UsageError and nothing is written; the files are written only once all are checked,
 * each checkpoint through a temporary folder, and checkpoints/latest.json last, so a run that
 * stops half-way through the writes has no pointer to a missing checkpoint.
 */
export async function unpackRun(zip: Uint8Array, store: RunStore, fallbackName = 'run'): Promise<UnpackedRun> {
  // The names first, from the zip's directory, before anything is inflated.
  const entries: string[] = [];
  try {
    unzipSync(zip, { filter: (f) => { entries.push(f.name); return false; } });
  } catch (e) {
    throw new UsageError(`this is not a zip file (${(e as Error).message}); choose the .zip of a run`);
  }
  for (const e of entries) checkEntryName(e);
  const wanted = entries.filter((e) => !e.endsWith('/') && !e.startsWith('__MACOSX/'));
  const { top, relative } = splitTop(wanted);
  const name = top ?? fallbackName;
  checkTopName(name, "the zip's top folder");
  const keep = new Map<string, string>(); // entry -> path in the run
  for (const [i, rel] of relative.entries()) {
    if (isNotTheRun(rel)) continue;
    if (!layout.some((l) => l.pattern.test(rel))) throw new UsageError(`the zip holds '${wanted[i]}', which is not part of a run; ${layoutHint}`);
    keep.set(wanted[i]!, rel);
  }
  if (![...keep.values()].includes('config.json')) {
    throw new UsageError(`the zip holds no config.json${top ? ` in ${top}/` : ''}, so it is not a Gantry run; ${layoutHint}`);
  }

  let unzipped: Record<string, Uint8Array>;
  try {
    unzipped = unzipSync(zip, { filter: (f) => keep.has(f.name) });
  } catch (e) {
    throw new UsageError(`the zip is damaged (${(e as Error).message}); make it again`);
  }
  const files = new Map<string, Uint8Array>();
  for (const [entry, rel] of keep) files.set(rel, unzipped[entry]!);

  const step = checkRun(files);
  await writeRun(files, store);
  return { name, step, files: files.size };
}

/** The one folder every entry is in, when there is one and the run is not at the zip's root. */
function splitTop(entries: string[]): { top: string | null; relative: string[] } {
  const firsts = new Set(entries.map((e) => (e.includes('/') ? e.slice(0, e.indexOf('/')) : null)));
  if (firsts.size === 1 && !firsts.has(null)) {
    const top = [...firsts][0]!;
    if (top !== 'samples' && top !== 'checkpoints') return { top, relative: entries.map((e) => e.slice(top.length + 1)) };
  }
  return { top: null, relative: entries };
}

/** Verifies the run's files (config, checkpoints, pointers) and returns the step a resume starts from. */
function checkRun(files: Map<string, Uint8Array>): number | null {
  try {
    const config = JSON.parse(utf8.decode(files.get('config.json')!)) as unknown;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('not an object');
  } catch (e) {
    throw new UsageError(`the zip's config.json is not a run's config (${(e as Error).message}); the run is damaged`);
  }
  const studio = files.get('studio.json');
  if (studio !== undefined) {
    try {
      const info = JSON.parse(utf8.decode(studio)) as unknown;
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new Error('not an object');
    } catch (e) {
      throw new UsageError(`the zip's studio.json is damaged (${(e as Error).message}); remove it from the zip (the page then asks for the backend and data again)`);
    }
  }
  const steps = new Map<string, CheckpointManifest>();
  const dirs = new Set([...files.keys()].filter((p) => p.startsWith('checkpoints/step-')).map((p) => p.split('/')[1]!));
  for (const dir of [...dirs].sort()) {
    const text = files.get(`checkpoints/${dir}/manifest.json`);
    const at = `checkpoints/${dir}`;
    try {
      const loaded = decodeCheckpoint(at, text === undefined ? null : utf8.decode(text), files.get(`${at}/weights.bin`) ?? null);
      if (loaded.manifest.step !== Number(dir.slice('step-'.length))) throw new UsageError(`its manifest says step ${loaded.manifest.step}`);
      steps.set(dir, loaded.manifest);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const reason = (e as { reason?: string }).reason ?? e.message;
      throw new UsageError(`the zip's checkpoint ${dir} does not verify (${reason}), so the run was not unpacked; zip the run folder again, or remove that checkpoint's folder from the zip`);
    }
  }
  const pointerText = files.get('checkpoints/latest.json');
  let latest: string | null = null;
  if (pointerText !== undefined) {
    latest = parseLatestPointer(utf8.decode(pointerText));
    if (latest === null || !steps.has(latest)) {
      throw new UsageError(`the zip's checkpoints/latest.json ${latest === null ? 'is damaged' : `names ${latest}, which the zip does not hold`}; zip the whole run folder again`);
    }
  }
  const bestText = files.get('checkpoints/best.json');
  if (bestText !== undefined && parseBestPointer(utf8.decode(bestText), (d) => steps.has(d)) === null) {
    throw new UsageError("the zip's checkpoints/best.json is damaged or names a checkpoint the zip does not hold; zip the whole run folder again");
  }
  const newest = latest ?? [...steps.keys()].sort().pop();
  return newest === undefined ? null : steps.get(newest)!.step;
}

/** Writes the checked files: each checkpoint through a temporary folder, the pointers last, latest.json at the very end. */
async function writeRun(files: Map<string, Uint8Array>, store: RunStore): Promise<void> {
  const there = await store.list('');
  if (there.length > 0) {
    throw new UsageError(`${store.location} is not empty (it has ${there.slice(0, 3).join(', ')}${there.length > 3 ? ', ...' : ''}); unpack a run into a new folder`);
  }
  const pointers = ['checkpoints/best.json', 'checkpoints/latest.json'];
  const token = Math.random().toString(36).slice(2, 10);
  try {
    const checkpointDirs = new Set<string>();
    for (const [path, bytes] of files) {
      if (pointers.includes(path)) continue;
      const parts = path.split('/');
      if (parts[0] === 'checkpoints') {
        checkpointDirs.add(parts[1]!);
        await store.write(`checkpoints/.tmp-${parts[1]}-${token}/${parts[2]}`, bytes);
      } else {
        await store.write(path, bytes);
      }
    }
    for (const dir of [...checkpointDirs].sort()) await store.publish(`checkpoints/.tmp-${dir}-${token}`, `checkpoints/${dir}`);
    for (const p of pointers) {
      const bytes = files.get(p);
      if (bytes) await store.write(p, bytes);
    }
  } catch (e) {
    // the store was empty: take back what was written, so no half run is left
    for (const n of await store.list('').catch(() => [] as string[])) await store.remove(n).catch(() => {});
    const code = storeErrorCode(e);
    if (!code) throw e;
    const hint = code === 'ENOSPC' || code === 'QuotaExceededError' ? 'free space' : 'choose a writable place';
    throw new UsageError(`cannot write the run into ${store.location} (${code}); what was written is removed; ${hint} and unpack it again`);
  }
}
