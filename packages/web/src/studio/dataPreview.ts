// What a loaded image set looks like: its size and classes, the files that were skipped, and the
// first images as thumbnails. A view only: it draws what it is given.
import { fill, h } from '../dashboard/dom.js';
import type { StudioImageSet } from './dataFile.js';
import type { SkippedFile } from './folderImages.js';

/** How many thumbnails the preview draws. */
export const THUMBNAILS = 16;

/** One image of the set as a canvas of its own size (grey or RGB, opaque). */
export function imageCanvas(set: StudioImageSet, index: number): HTMLCanvasElement {
  const canvas = h('canvas', { width: set.width, height: set.height });
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(set.width, set.height);
  const n = set.width * set.height;
  const at = index * n * set.channels;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) image.data[p * 4 + k] = set.bytes[at + p * set.channels + (set.channels === 3 ? k : 0)]!;
    image.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** The sentence about skipped files, e.g. "1 file could not be decoded and was skipped". */
export function skippedText(count: number): string {
  return `${count} ${count === 1 ? 'file' : 'files'} could not be decoded and ${count === 1 ? 'was' : 'were'} skipped`;
}

export function renderPreview(el: HTMLElement, set: StudioImageSet, title: string, skipped: readonly SkippedFile[] = []): void {
  const classes = set.numClasses
    ? `${set.numClasses} ${set.numClasses === 1 ? 'class' : 'classes'}${set.classNames ? `: ${set.classNames.slice(0, 10).join(', ')}${set.classNames.length > 10 ? ', …' : ''}` : ''}`
    : 'no labels';
  const thumbs = Array.from({ length: Math.min(THUMBNAILS, set.count) }, (_, i) => {
    const c = imageCanvas(set, i);
    if (set.labels) c.title = set.classNames?.[set.labels[i]!] ?? `class ${set.labels[i]}`;
    return c;
  });
  fill(el,
    h('h2', {}, title),
    h('div', { class: 'summary' },
      h('span', { class: 'count', 'data-count': set.count }, `${set.count.toLocaleString('en')} images`),
      h('span', { class: 'shape' }, `${set.height}×${set.width}×${set.channels}`),
      h('span', { class: 'classes' }, classes)),
    skipped.length > 0
      ? h('div', { class: 'skipped', 'data-skipped': skipped.length },
        h('p', {}, skippedText(skipped.length)),
        h('ul', {}, skipped.slice(0, 10).map((s) => h('li', {}, `${s.name}: ${s.reason}`)), skipped.length > 10 ? h('li', {}, '…') : null))
      : null,
    h('div', { class: 'thumbs' }, thumbs));
}
