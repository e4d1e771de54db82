// Choosing the images to train on: one of the built-in sets the server lists (data/index.json), or
// a folder of the user's own images (a folder picker or a drop), read by folderImages.ts with
// the shape, resize mode and background chosen here. It reports what it loaded through `onLoad`.
import { IMAGE_EXTENSIONS, IMAGE_TYPES_TEXT } from 'gantry-core/data/imageFileRules.js';
import { h } from '../dashboard/dom.js';
import type { StudioImageSet } from './dataFile.js';
import { fetchDataIndex, fetchDataSet, type StudioSetEntry } from './dataIndex.js';
import { entriesFromDrop, loadFolderImages, RESIZE_MODES, type ImageFileEntry, type SkippedFile } from './folderImages.js';

export interface LoadedData {
  set: StudioImageSet;
  /** What the page calls it: a built-in set's title, or the folder's name. */
  title: string;
  /** The built-in set's name, or null for the user's images. */
  builtin: string | null;
  skipped: SkippedFile[];
}

export interface DataPickerOptions {
  onLoad(data: LoadedData): void;
  /** The folder images' default side (the model's); 32 unless told. */
  defaultSize?: number;
}

/** Builds the picker; returns its element, to place anywhere on a page. */
export function dataPicker(options: DataPickerOptions): HTMLElement {
  const status = h('p', { class: 'status', role: 'status' });
  const progress = h('progress', { max: 1, value: 0, hidden: true });
  let busy = false;

  const say = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle('error', error);
  };
  const run = async (what: string, task: () => Promise<LoadedData>) => {
    if (busy) return;
    busy = true;
    progress.hidden = false;
    progress.value = 0;
    say(`Loading ${what}…`);
    try {
      const data = await task();
      say(`Loaded ${what}.`);
      options.onLoad(data);
    } catch (e) {
      say(`Could not load ${what}: ${(e as Error).message}`, true);
    } finally {
      busy = false;
      progress.hidden = true;
    }
  };

  // built-in sets
  const select = h('select', { id: 'builtin-set', disabled: true }, h('option', {}, 'loading the list…'));
  let sets: StudioSetEntry[] = [];
  const loadBuiltin = () => {
    const entry = sets.find((s) => s.name === select.value);
    if (!entry) return;
    void run(entry.title, async () => ({
      set: await fetchDataSet(entry, (f) => (progress.value = f)),
      title: entry.title,
      builtin: entry.name,
      skipped: [],
    }));
  };
  const loadButton = h('button', { type: 'button', id: 'builtin-load', disabled: true, onclick: loadBuiltin }, 'Load');
  fetchDataIndex().then((list) => {
    sets = list;
    select.replaceChildren(...list.map((s) => h('option', { value: s.name }, `${s.title} (${s.count.toLocaleString('en')}, ${s.shape.join('×')})`)));
    select.disabled = false;
    loadButton.disabled = false;
  }, (e: Error) => say(`Could not list the built-in sets: ${e.message}`, true));

  // the user's images
  const size = h('input', { id: 'folder-size', type: 'number', min: 4, max: 512, value: options.defaultSize ?? 32 });
  const channels = h('select', { id: 'folder-channels' }, h('option', { value: '3' }, 'colour (3)'), h('option', { value: '1' }, 'grey (1)'));
  const resize = h('select', { id: 'folder-resize' }, RESIZE_MODES.map((m) => h('option', { value: m }, m)));
  const background = h('input', { id: 'folder-background', type: 'text', value: 'white', size: 8 });
  const loadFolder = (files: Iterable<File> | ImageFileEntry[], name: string) => {
    const side = Number(size.value);
    void run(name, async () => {
      const result = await loadFolderImages(files, {
        shape: { height: side, width: side, channels: Number(channels.value) },
        resize: resize.value as (typeof RESIZE_MODES)[number],
        background: background.value,
        onProgress: (done, total) => (progress.value = done / total),
      });
      return { ...result, title: name, builtin: null };
    });
  };
  const folderInput = h('input', { id: 'folder-input', type: 'file', multiple: true, webkitdirectory: true });
  folderInput.addEventListener('change', () => {
    const files = [...(folderInput.files ?? [])];
    if (files.length > 0) loadFolder(files, files[0]!.webkitRelativePath.split('/')[0] || 'your images');
    folderInput.value = '';
  });
  const drop = h('div', { class: 'drop' }, 'or drop a folder of images, or the images themselves, here');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (!e.dataTransfer) return;
    const dropped = entriesFromDrop(e.dataTransfer); // read now: the browser empties the drop when this handler returns
    dropped.entries.then((entries) => {
      if (entries.some((entry) => IMAGE_EXTENSIONS.test(entry.path))) loadFolder(entries, dropped.folder ?? 'your images');
      else say(`The drop holds no image files (${IMAGE_TYPES_TEXT}); drop a folder of images, or the images themselves`, true);
    }, (err: Error) => say(`Could not read the drop: ${err.message}`, true));
  });

  const field = (label: string, control: HTMLElement) => h('label', { class: 'field' }, label, control);
  return h('section', { class: 'card data-picker' },
    h('h2', {}, 'Data'),
    h('div', { class: 'row' }, field('Built-in set', select), loadButton),
    h('div', { class: 'row' },
      field('Size (px)', size), field('Channels', channels), field('Resize', resize), field('Background', background),
      field('Your images (a folder)', folderInput)),
    drop,
    h('div', { class: 'row' }, status, progress));
}
