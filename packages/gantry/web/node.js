// `gantry/web` in Node: gantry-web, and loadGenerator also takes a folder path (or a file: URL).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadGenerator as loadFromUrl, loadOnnxGenerator as loadOnnxFromUrl } from 'gantry-web';

export * from 'gantry-web';

/** Answers fetch() for file: URLs from the disk (Node's fetch has no file: support). */
async function fetchFile(input) {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  try {
    return new Response(await readFile(fileURLToPath(url)), { status: 200 });
  } catch (e) {
    return new Response(`cannot read ${url}: ${e.code ?? e.message}`, { status: e.code === 'ENOENT' ? 404 : 500 });
  }
}

/** loadGenerator(source): an http(s) URL as in a browser, or an export folder on this machine. */
export async function loadGenerator(source, options = {}) {
  const s = String(source);
  if (/^https?:\/\//i.test(s) || options.fetch) return loadFromUrl(source, options);
  const folder = s.startsWith('file:') ? fileURLToPath(s) : resolve(s);
  return loadFromUrl(pathToFileURL(`${folder}/`), { ...options, fetch: fetchFile });
}

/** loadOnnxGenerator(source, ort): the same sources, drawn by the ONNX Runtime module `ort` (onnxruntime-web or onnxruntime-node). */
export async function loadOnnxGenerator(source, ort, options = {}) {
  const s = String(source);
  if (/^https?:\/\//i.test(s) || options.fetch) return loadOnnxFromUrl(source, ort, options);
  const folder = s.startsWith('file:') ? fileURLToPath(s) : resolve(s);
  return loadOnnxFromUrl(pathToFileURL(`${folder}/`), ort, { ...options, fetch: fetchFile });
}
