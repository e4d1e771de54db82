import type { ExportedFile } from 'gantry-core/export/generatorFiles.js';
import { PREVIEW_FILES, PREVIEW_READY, type PreviewFilesMessage } from '../exportPage/openerFiles.js';

/**
 * Preview: the export page (the one `gantry export` writes beside a generator) in a new window,
 * drawing the generator the studio just exported. The studio server (and a `--static` build)
 * carries the export page's files under preview/; the exported files stay in this page's memory
 * and go to the preview window by postMessage when it asks (see exportPage/openerFiles.ts for why).
 */
export function openPreview(files: ExportedFile[]): Window {
  const url = new URL('preview/index.html?files=opener', location.href).href;
  // the listener first: the window may ask before open() returns
  let win: Window | null = null;
  const answer = (event: MessageEvent) => {
    if (event.origin !== location.origin || (event.data as { type?: string })?.type !== PREVIEW_READY) return;
    if (win === null || event.source !== win) return;
    const message: PreviewFilesMessage = { type: PREVIEW_FILES, files: files.map((f) => ({ path: f.path, bytes: f.bytes })) };
    win.postMessage(message, location.origin);
  };
  window.addEventListener('message', answer);
  win = window.open(url, '_blank');
  if (!win) {
    window.removeEventListener('message', answer);
    throw new Error('the browser blocked the preview window; allow pop-ups for this page and press Preview again');
  }
  // the window asks again on each reload (its runtime picker reloads it), so the answer stays until it closes
  const closed = setInterval(() => {
    if (win!.closed) {
      clearInterval(closed);
      window.removeEventListener('message', answer);
    }
  }, 2000);
  return win;
}
