// Gantry Studio's page, for now: pick the data and see it. The training UI mounts beside the
// picker; everything about data lives in the data* modules and folderImages.ts.
import './page.css';
import { fill, h } from '../dashboard/dom.js';
import { dataPicker, type LoadedData } from './dataPicker.js';
import { renderPreview } from './dataPreview.js';

/** The page's state that scripts and tests may read: `gantryStudio.data` is the set loaded last. */
const studio: { data: LoadedData | null } = { data: null };
(globalThis as unknown as { gantryStudio: typeof studio }).gantryStudio = studio;

const app = document.getElementById('app')!;
const preview = h('section', { class: 'card data-preview', hidden: true });
fill(app, dataPicker({
  onLoad(data) {
    studio.data = data;
    preview.hidden = false;
    renderPreview(preview, data.set, data.title, data.skipped);
  },
}), preview);
