import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from './fixtures.js';
import { writeImageFolder } from './imageFolderFixtures.js';
import { openStudioPage, runFiles, skipWithoutChromium as skip, startRun, waitForIdle, type StudioPage } from './studioPageFixtures.js';

// The studio page's drop zone in headless Chromium: loose files in a DataTransfer built in the
// page (which gives no file-system entries) load and train; dropped folders, given as objects
// shaped like FileSystemDirectoryEntry whose readers hand out children in small batches, are
// walked into paths relative to the one dropped folder, as `gantry train --data folder:` reads
// them; mixed drops take both; and a drop with no images says so in one line.

let s: StudioPage;

before(async () => {
  if (skip) return;
  s = await openStudioPage();
});

after(async () => {
  if (skip) return;
  await s.close();
  assert.deepEqual(s.errors, [], 'no script error on the page');
});

interface Loaded { title: string; count: number; numClasses: number | null; skipped: string[] }

/** What the page loaded last, from its `gantryStudio` handle (null before anything is). */
function loaded(): Promise<Loaded | null> {
  return s.page.evaluate(() => {
    const data = (globalThis as unknown as { gantryStudio: { data: { title: string; set: { count: number; numClasses?: number }; skipped: { name: string }[] } | null } }).gantryStudio.data;
    if (!data) return null;
    return { title: data.title, count: data.set.count, numClasses: data.set.numClasses ?? null, skipped: data.skipped.map((f) => f.name) };
  });
}

/** Runs `dispatch` in the page (it drops something on the drop zone), then waits for the data picker's status to settle; that line. */
async function dropped(dispatch: () => Promise<void>): Promise<{ text: string; error: boolean }> {
  await s.page.evaluate(() => { document.querySelector('.data-picker .status')!.textContent = ''; });
  await dispatch();
  await s.page.waitForFunction(() => { const t = document.querySelector('.data-picker .status')!.textContent!; return t !== '' && !t.startsWith('Loading'); });
  const status = s.page.locator('.data-picker .status');
  return { text: await status.innerText(), error: (await status.getAttribute('class'))!.includes('error') };
}

/** A dropped file or folder, described for the page: a folder has children; a file is a real PNG when `image`, else bytes no browser decodes. */
type Node = { name: string; image?: boolean; children?: Node[] };
/** One item of a drop: a file-system entry, or (`entry: false`) a File alone, as a drag source without entries gives it. */
type DropItem = { node: Node; entry: boolean };

/**
 * Dispatches a drop event on the drop zone whose dataTransfer holds `items` (and `files`, when
 * given, as its file list): entries are objects shaped like FileSystemFileEntry and
 * FileSystemDirectoryEntry, whose readers hand out two children per readEntries call. The items
 * go dark once the event has been dispatched, as the browser's do when the drop handler returns.
 * The dataTransfer is a plain object: Chromium makes a new DataTransferItem at each read of
 * `items[i]`, so a webkitGetAsEntry defined on one would never reach the handler.
 */
function dropItems(items: DropItem[], files: Node[] = []): () => Promise<void> {
  return () => s.page.evaluate(async ({ items, files }) => {
    const canvas = new OffscreenCanvas(6, 6);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#c83';
    ctx.fillRect(0, 0, 6, 6);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    const later = (f: () => void) => setTimeout(f, 0); // the real API calls back asynchronously
    const fileOf = (n: Node) => new File([n.image ? png : 'not an image'], n.name);
    const entryOf = (n: Node): unknown => n.children
      ? {
        isFile: false, isDirectory: true, name: n.name,
        createReader() {
          let at = 0;
          return {
            readEntries(ok: (batch: unknown[]) => void) {
              later(() => {
                const batch = n.children!.slice(at, at + 2).map(entryOf);
                at += batch.length;
                ok(batch);
              });
            },
          };
        },
      }
      : { isFile: true, isDirectory: false, name: n.name, file: (ok: (f: File) => void) => later(() => ok(fileOf(n))) };
    let live = true;
    const list = items.map(({ node, entry }) => {
      const file = fileOf(node);
      const entryObject = entry ? entryOf(node) : null;
      return { kind: 'file', webkitGetAsEntry: () => (live ? entryObject : null), getAsFile: () => (live && !node.children ? file : null) };
    });
    const fileList = files.map(fileOf);
    const event = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', {
      value: { get items() { return live ? list : []; }, get files() { return live ? fileList : []; } },
    });
    document.querySelector('.data-picker .drop')!.dispatchEvent(event);
    live = false;
  }, { items, files });
}

const image = (name: string): Node => ({ name, image: true });
const broken = (name: string): Node => ({ name });
const folder = (name: string, ...children: Node[]): Node => ({ name, children });

test('a folder of PNG, JPEG and WebP files dropped as loose files (a DataTransfer built in the page, no entries) loads, names the broken one, and trains', { skip, timeout: 200_000 }, async () => {
  const root = join(tempDir('gantry-studio-drop-'), 'pets');
  mkdirSync(root);
  await writeImageFolder(root);
  // each file named after its class, so that the flat drop keeps every name distinct
  const files = ['cats', 'dogs'].flatMap((sub) => readdirSync(join(root, sub)).map((f) => ({ name: `${sub}-${f}`, base64: readFileSync(join(root, sub, f)).toString('base64') })));
  assert.equal(files.length, 42, '40 images, the broken one and the notes');
  await s.page.fill('#folder-size', '28');
  await s.page.selectOption('#folder-channels', '1');

  let noEntries: boolean | undefined;
  const shown = await dropped(async () => {
    noEntries = await s.page.evaluate((files) => {
      const transfer = new DataTransfer();
      for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      const zone = document.querySelector('.data-picker .drop')!;
      const over = new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true });
      zone.dispatchEvent(over);
      if (!over.defaultPrevented || !zone.classList.contains('over')) throw new Error('the drop zone did not take the dragover');
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      return transfer.items[0]!.webkitGetAsEntry() === null;
    }, files);
  });
  assert.equal(noEntries, true, 'Chromium gives no file-system entry for a DataTransfer built in the page: the drop went through the File fallback');
  assert.deepEqual(shown, { text: 'Loaded your images.', error: false });
  assert.deepEqual(await loaded(), { title: 'your images', count: 40, numClasses: null, skipped: ['dogs-broken.png'] });
  assert.equal(await s.page.locator('.data-preview h2').textContent(), 'your images');
  assert.equal(await s.page.locator('.data-preview .count').innerText(), '40 images');
  assert.equal(await s.page.locator('.data-preview .shape').innerText(), '28×28×1');
  assert.match(await s.page.locator('.data-preview .skipped').innerText(), /^1 file could not be decoded and was skipped\s+dogs-broken\.png: /);

  assert.deepEqual(await startRun(s.page, { name: 'dropped', preset: 'seed-mlp', steps: 2, batchSize: 8, seed: 1, backend: 'cpu' }), { run: 'dropped' });
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.step, 2);
  const run = await runFiles(s.page, 'dropped');
  assert.equal((JSON.parse(run.get('config.json')!.toString('utf8')) as { data: string }).data, 'folder:your images');
  const info = JSON.parse(run.get('studio.json')!.toString('utf8')) as { dataTitle: string; builtin: string | null };
  assert.deepEqual([info.dataTitle, info.builtin], ['your images', null]);
});

test('one dropped folder is walked through every readEntries batch and its sub-folders, paths relative to it, as the CLI reads a folder', { skip, timeout: 120_000 }, async () => {
  const album = folder('album',
    broken('b.png'), image('a.png'),
    folder('birds', broken('1.jpg'), broken('2.webp'), image('3.png'), folder('owls', folder('barn', broken('x.png'))), broken('notes.txt')),
    folder('empty'),
    broken('c.jpeg'), broken('d.gif'));
  assert.deepEqual(await dropped(dropItems([{ node: album, entry: true }])), { text: 'Loaded album.', error: false });
  assert.deepEqual(await loaded(), {
    title: 'album', count: 2, numClasses: null,
    skipped: ['b.png', 'birds/1.jpg', 'birds/2.webp', 'birds/owls/barn/x.png', 'c.jpeg', 'd.gif'],
  });

  // every image in a first-level sub-folder: those are the classes, as in the CLI
  const zoo = folder('zoo', folder('cats', image('1.png'), broken('2.png'), image('3.png')), folder('dogs', broken('1.png'), image('2.png')));
  assert.deepEqual(await dropped(dropItems([{ node: zoo, entry: true }])), { text: 'Loaded zoo.', error: false });
  assert.deepEqual(await loaded(), { title: 'zoo', count: 3, numClasses: 2, skipped: ['cats/2.png', 'dogs/1.png'] });
});

test('a mixed drop takes folders and files with entries and files without, as the contents of one folder', { skip, timeout: 120_000 }, async () => {
  const shown = await dropped(dropItems([
    { node: folder('extra', broken('p.png'), folder('q', broken('r.png'), broken('s.png'))), entry: true },
    { node: broken('loose.png'), entry: false },
    { node: image('good.png'), entry: false },
    { node: broken('top.webp'), entry: true },
  ]));
  assert.deepEqual(shown, { text: 'Loaded your images.', error: false });
  assert.deepEqual(await loaded(), { title: 'your images', count: 1, numClasses: null, skipped: ['extra/p.png', 'extra/q/r.png', 'extra/q/s.png', 'loose.png', 'top.webp'] });

  // no usable items at all: the drop's file list
  assert.deepEqual(await dropped(dropItems([], [image('one.png'), broken('two.png')])), { text: 'Loaded your images.', error: false });
  assert.deepEqual(await loaded(), { title: 'your images', count: 1, numClasses: null, skipped: ['two.png'] });
});

test('a drop with no image files says so in one line and keeps the data loaded before', { skip, timeout: 60_000 }, async () => {
  const before = await loaded();
  const line = 'The drop holds no image files (.png, .jpg, .jpeg, .webp, .gif, .avif, .tif, .tiff); drop a folder of images, or the images themselves';
  assert.deepEqual(await dropped(dropItems([{ node: folder('docs', broken('notes.txt'), folder('more', broken('a.md'))), entry: true }])), { text: line, error: true });
  // text dragged from another page: a string item, no files
  const text = await dropped(() => s.page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add('just some text', 'text/plain');
    document.querySelector('.data-picker .drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }));
  assert.deepEqual(text, { text: line, error: true });
  assert.deepEqual(await loaded(), before, 'the data loaded before stays');
});
