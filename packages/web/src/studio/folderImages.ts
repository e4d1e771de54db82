// The user's own images, read in the browser the way `gantry train --data folder:PATH` reads a
// folder: the same file types, sorted by path, classes from first-level subfolders, each image
// composited onto the background and resized by the same modes. The browser decodes them
// (createImageBitmap: whatever it can read); a file it cannot decode is skipped and reported.
// Nothing is uploaded anywhere.
import {
  COLOUR_FORMS, compareCodeUnits, folderClasses, IMAGE_EXTENSIONS, IMAGE_TYPES_TEXT, luma, parseColour,
} from 'gantry-core/data/imageFileRules.js';
import type { ResizeMode } from 'gantry-core/data/imageOptions.js';
import { byteImageSet } from 'gantry-core/data/bytePixels.js';
import type { StudioImageSet } from './dataFile.js';

export type { ResizeMode };
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'pad', 'stretch'];

/** One file with its '/'-separated path inside the chosen folder (e.g. `cats/tabby.png`). */
export interface ImageFileEntry {
  path: string;
  file: Blob;
}

export interface FolderImageOptions {
  /** The model's image shape; every image is made to fit it. */
  shape: { height: number; width: number; channels: number };
  /** crop: scale to cover, cut the centre; pad: scale to fit, fill with the background; stretch: ignore the aspect ratio. Default crop, as in the CLI. */
  resize?: ResizeMode;
  /** What transparent pixels are composited onto (and pad's fill): a name or #rgb / #rrggbb. Default white, as in the CLI. */
  background?: string;
  /** Called after each file with how many of `total` are done. */
  onProgress?: (done: number, total: number) => void;
}

export interface SkippedFile {
  /** Its path in the folder. */
  name: string;
  /** Why the browser could not use it. */
  reason: string;
}

export interface FolderImagesResult {
  set: StudioImageSet;
  /** Image files that could not be decoded, in path order; they are not in `set`. */
  skipped: SkippedFile[];
}

/**
 * The files from `<input type=file webkitdirectory>` (or a plain multiple-file input) with their
 * paths inside the chosen folder: a folder picker's `webkitRelativePath` starts with the folder's
 * own name, which is dropped, as the CLI's paths are relative to the folder it is given.
 */
export function entriesFromFiles(files: Iterable<File>): ImageFileEntry[] {
  return Array.from(files, (file) => {
    const relative = file.webkitRelativePath || file.name;
    const slash = relative.indexOf('/');
    return { path: file.webkitRelativePath && slash >= 0 ? relative.slice(slash + 1) : relative, file };
  });
}

/** What a drop holds, read while its handler runs. */
export interface DroppedFiles {
  /** The folder's name when the drop is one folder, else null. */
  folder: string | null;
  /** Its files with their paths, folders walked recursively. */
  entries: Promise<ImageFileEntry[]>;
}

/** What a drop event offers, as entriesFromDrop reads it (a DataTransfer). */
export interface DropTransfer {
  items?: ArrayLike<Pick<DataTransferItem, 'kind' | 'getAsFile' | 'webkitGetAsEntry'>> | null;
  files?: ArrayLike<File> | null;
}

/**
 * The files of a drop, folders walked recursively. One dropped folder is the folder itself (paths
 * inside it, as the CLI's are inside the folder it is given); several dropped things are read as
 * the contents of one folder. A dropped thing without a file-system entry (a synthetic
 * DataTransfer, some drag sources) is taken as its File, its path its name; a drop with no usable
 * items falls back to its file list. Call it from the drop handler before any await: the browser
 * empties the drop when the handler returns, so every entry and File is taken here, synchronously.
 */
export function entriesFromDrop(transfer: DropTransfer): DroppedFiles {
  const roots: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(transfer.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    const file = entry ? null : item.getAsFile();
    if (entry) roots.push(entry);
    else if (file) loose.push(file);
  }
  if (roots.length === 0 && loose.length === 0) loose.push(...Array.from(transfer.files ?? []));
  const only = roots.length === 1 && loose.length === 0 && roots[0]!.isDirectory ? (roots[0] as FileSystemDirectoryEntry) : null;
  const walked = (only ? readChildren(only) : Promise.resolve(roots))
    .then((list) => Promise.all(list.map((e) => walk(e, ''))))
    .then((lists) => lists.flat());
  return {
    folder: only?.name ?? null,
    entries: walked.then((found) => [...found, ...loose.map((file) => ({ path: file.name, file }))]),
  };
}

async function walk(entry: FileSystemEntry, prefix: string): Promise<ImageFileEntry[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path: prefix + entry.name, file }];
  }
  if (!entry.isDirectory) return [];
  const children = await readChildren(entry as FileSystemDirectoryEntry);
  return (await Promise.all(children.map((c) => walk(c, `${prefix}${entry.name}/`)))).flat();
}

/** A directory's entries: readEntries hands them out in batches (a hundred in Chromium) until it returns none. */
async function readChildren(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return children;
    children.push(...batch);
  }
}

/** Where the page draws each image to read its pixels back. */
type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function canvasOf(width: number, height: number): Canvas2D {
  const canvas = typeof OffscreenCanvas !== 'undefined'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!ctx) throw new Error('this browser cannot draw on a canvas, which reading images needs');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

/** Source and destination rectangles that fit a w x h image into W x H by `mode`. */
export function placement(w: number, h: number, W: number, H: number, mode: ResizeMode): { sx: number; sy: number; sw: number; sh: number; dx: number; dy: number; dw: number; dh: number } {
  if (mode === 'stretch') return { sx: 0, sy: 0, sw: w, sh: h, dx: 0, dy: 0, dw: W, dh: H };
  if (mode === 'crop') {
    const scale = Math.max(W / w, H / h); // cover: the centre of the scaled image fills the frame
    const sw = W / scale;
    const sh = H / scale;
    return { sx: (w - sw) / 2, sy: (h - sh) / 2, sw, sh, dx: 0, dy: 0, dw: W, dh: H };
  }
  const scale = Math.min(W / w, H / h); // pad: the whole image fits, centred, the rest is background
  const dw = Math.max(1, Math.round(w * scale));
  const dh = Math.max(1, Math.round(h * scale));
  return { sx: 0, sy: 0, sw: w, sh: h, dx: Math.floor((W - dw) / 2), dy: Math.floor((H - dh) / 2), dw, dh };
}

/** One image as [H, W, C] bytes: onto the background, resized, to grey or RGB. Throws when the browser cannot decode it. */
async function decodeOne(blob: Blob, ctx: Canvas2D, shape: FolderImageOptions['shape'], mode: ResizeMode, background: string, out: Uint8Array): Promise<void> {
  const bitmap = await createImageBitmap(blob);
  try {
    if (bitmap.width === 0 || bitmap.height === 0) throw new Error('the image has no pixels');
    const { width: W, height: H } = shape;
    ctx.globalCompositeOperation = 'copy';
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, W, H);
    ctx.globalCompositeOperation = 'source-over'; // transparent pixels show the background
    const p = placement(bitmap.width, bitmap.height, W, H, mode);
    ctx.drawImage(bitmap, p.sx, p.sy, p.sw, p.sh, p.dx, p.dy, p.dw, p.dh);
  } finally {
    bitmap.close();
  }
  const rgba = ctx.getImageData(0, 0, shape.width, shape.height).data;
  const n = shape.width * shape.height;
  if (shape.channels === 3) {
    for (let i = 0; i < n; i++) {
      out[i * 3] = rgba[i * 4]!;
      out[i * 3 + 1] = rgba[i * 4 + 1]!;
      out[i * 3 + 2] = rgba[i * 4 + 2]!;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = luma(rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!);
  }
}

function reasonOf(e: unknown): string {
  const text = e instanceof Error ? (e.message || e.name) : String(e);
  return text.replace(/\s+/g, ' ').trim() || 'the browser cannot decode it';
}

/**
 * Decodes the image files among `files` (File objects from a picker, or entries from a drop) into
 * an image set of `options.shape`. Files that are not images by their extension are ignored, as
 * the CLI ignores them; image files the browser cannot decode are skipped and listed. Throws an
 * Error with a one-line message when the options are bad, there are no image files, or none decodes.
 */
export async function loadFolderImages(files: Iterable<File> | readonly ImageFileEntry[], options: FolderImageOptions): Promise<FolderImagesResult> {
  const { shape } = options;
  const mode = options.resize ?? 'crop';
  if (!RESIZE_MODES.includes(mode)) throw new Error(`resize must be one of ${RESIZE_MODES.join(', ')}, got '${String(mode)}'`);
  const colour = parseColour(options.background ?? 'white');
  if (!colour) throw new Error(`background '${options.background}' is not a colour; use ${COLOUR_FORMS}`);
  const ok = [shape.height, shape.width].every((d) => Number.isSafeInteger(d) && d >= 1) && (shape.channels === 1 || shape.channels === 3);
  if (!ok) throw new Error(`image shape ${shape.height}x${shape.width}x${shape.channels} is invalid; height and width must be positive and channels 1 or 3`);

  const entries = (isEntryList(files) ? [...files] : entriesFromFiles(files as Iterable<File>))
    .filter((e) => IMAGE_EXTENSIONS.test(e.path))
    .sort((a, b) => compareCodeUnits(a.path, b.path));
  if (entries.length === 0) throw new Error(`the folder holds no images (${IMAGE_TYPES_TEXT})`);
  const classes = folderClasses(entries.map((e) => e.path));

  const size = shape.height * shape.width * shape.channels;
  const bytes = new Uint8Array(entries.length * size);
  const labels = new Int32Array(entries.length);
  const skipped: SkippedFile[] = [];
  const ctx = canvasOf(shape.width, shape.height);
  const fill = `rgb(${colour.join(', ')})`;
  let count = 0;
  for (const [i, entry] of entries.entries()) {
    try {
      await decodeOne(entry.file, ctx, shape, mode, fill, bytes.subarray(count * size, (count + 1) * size));
      if (classes) labels[count] = classes.classOf(entry.path);
      count++;
    } catch (e) {
      skipped.push({ name: entry.path, reason: reasonOf(e) });
    }
    options.onProgress?.(i + 1, entries.length);
  }
  if (count === 0) {
    throw new Error(`none of the ${entries.length} image files could be decoded (${skipped[0]!.name}: ${skipped[0]!.reason}); use images this browser can read`);
  }
  const set: StudioImageSet = byteImageSet({
    source: 'folder',
    count,
    height: shape.height,
    width: shape.width,
    channels: shape.channels,
    ...(classes ? { labels: labels.slice(0, count), numClasses: classes.classes.length, classNames: classes.classes } : {}),
  }, bytes.slice(0, count * size));
  return { set, skipped };
}

function isEntryList(files: Iterable<File> | readonly ImageFileEntry[]): files is readonly ImageFileEntry[] {
  return Array.isArray(files) && files.length > 0 && typeof (files[0] as Partial<ImageFileEntry>).path === 'string';
}
