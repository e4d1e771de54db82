import type { ExportInfo } from './exportInfo.js';

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The bytes of a model file at `url`, checked against gantry.json's size and SHA-256 (a damaged or
 * mixed-up file fails here, not as wrong pixels). Where Web Crypto is missing (a page served over
 * plain http from another machine is not a secure context) the size is checked only.
 */
export async function checkedBytes(url: string, folder: string, info: ExportInfo, fetchFunc: typeof fetch): Promise<ArrayBuffer> {
  const response = await fetchFunc(url);
  if (!response.ok) throw new Error(`cannot read ${url} (HTTP ${response.status})`);
  const bytes = await response.arrayBuffer();
  const want = info.files.find((f) => new URL(f.path, folder).href === url);
  if (!want) throw new Error(`${url} is not listed in gantry.json; export the model again`);
  const canHash = typeof crypto !== 'undefined' && crypto.subtle !== undefined;
  if (bytes.byteLength !== want.bytes || (canHash && (await sha256Hex(bytes)) !== want.sha256)) {
    throw new Error(`${url} does not match gantry.json (size or SHA-256): the file is damaged or from another export`);
  }
  return bytes;
}
