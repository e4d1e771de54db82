/**
 * The export page opened by Gantry Studio's Preview button (`index.html?files=opener`): the export
 * is not on any server, it is in the studio page's memory. The studio serves this page's own files
 * (the HTML, bundle and WebAssembly binaries, under preview/), opens it in a new window, and hands
 * it the export's files (gantry.json, model/..., model.onnx) by postMessage; this module then
 * answers the page's fetches of those files from memory, so every other part of the page (the
 * checks against gantry.json's SHA-256 sums included) reads them as it reads a served export
 * folder. Why this way: a Blob URL names one file, not a folder that model.json's relative weight
 * paths resolve in, and a service worker would outlive the preview; an in-memory fetch for the
 * few export files, falling through to the network for everything else, is the smallest honest
 * change.
 */

/** The message the preview sends its opener, and the one the opener answers with. */
export const PREVIEW_READY = 'gantry-preview-ready';
export const PREVIEW_FILES = 'gantry-preview-files';

export interface PreviewFilesMessage {
  type: typeof PREVIEW_FILES;
  /** Paths relative to the export folder ('/'-separated) and their bytes. */
  files: { path: string; bytes: Uint8Array }[];
}

const contentType = (path: string) => (path.endsWith('.json') ? 'application/json' : 'application/octet-stream');

/** Asks the opener for the export's files; rejects when there is no studio page to answer. */
function filesFromOpener(timeoutMs: number): Promise<Map<string, Uint8Array>> {
  const opener = window.opener as Window | null;
  if (!opener) return Promise.reject(new Error('this preview has no studio page to read the export from; press Preview in Gantry Studio again'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the studio page did not send the export; press Preview in Gantry Studio again')), timeoutMs);
    window.addEventListener('message', function onMessage(event: MessageEvent) {
      if (event.origin !== location.origin || event.source !== opener) return;
      const data = event.data as Partial<PreviewFilesMessage>;
      if (data?.type !== PREVIEW_FILES || !Array.isArray(data.files)) return;
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      resolve(new Map(data.files.map((f) => [f.path, f.bytes])));
    });
    opener.postMessage({ type: PREVIEW_READY }, location.origin);
  });
}

/**
 * With `?files=opener`, fetches the export from the opener and routes the page's fetches of the
 * export folder's files to those bytes (everything else, such as wasm/ and ort/, goes to the
 * server as before). Without it, nothing changes.
 */
export async function useOpenerFiles(params: URLSearchParams): Promise<void> {
  if (params.get('files') !== 'opener') return;
  const files = await filesFromOpener(15_000);
  const folder = new URL('./', location.href).href;
  const network = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const path = url.href.startsWith(folder) ? decodeURIComponent(url.pathname.slice(new URL(folder).pathname.length)) : null;
    const bytes = path === null ? undefined : files.get(path);
    if (bytes === undefined) return network(input, init);
    return Promise.resolve(new Response(bytes.slice(), { status: 200, headers: { 'content-type': contentType(path!) } }));
  };
}
