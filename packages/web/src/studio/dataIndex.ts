// The built-in image sets as the server (or a --static folder) lists them in data/index.json, and
// fetching one with progress. URLs are relative to the page, so the same code works from
// `gantry studio` and from any static host.
import type { StudioDataIndex, StudioSetEntry } from 'gantry-core/data/gdsFormat.js';
import { decodeDataFile, type StudioImageSet } from './dataFile.js';

export type { StudioDataIndex, StudioSetEntry };

/** Where the data lives, relative to the page. */
export const DATA_BASE = 'data/';

export async function fetchDataIndex(base = DATA_BASE): Promise<StudioSetEntry[]> {
  const res = await fetch(`${base}index.json`);
  if (!res.ok) throw new Error(`${base}index.json: ${res.status} ${(await res.text()).slice(0, 200)}`);
  const index = (await res.json()) as StudioDataIndex;
  if (index.format !== 'gantry-studio-data' || !Array.isArray(index.sets)) throw new Error(`${base}index.json is not a studio data index`);
  return index.sets;
}

/** Fetches and decodes one set; `onProgress` gets the fraction received (0..1). */
export async function fetchDataSet(entry: StudioSetEntry, onProgress?: (fraction: number) => void, base = DATA_BASE): Promise<StudioImageSet> {
  const url = `${base}${entry.file}`;
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  // The size comes from the index: a compressing server sends no usable content-length.
  const total = entry.bytes;
  const data = new Uint8Array(total);
  let received = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > total) throw new Error(`${url} is longer than the ${total} bytes data/index.json gives; reload the page`);
    data.set(value, received);
    received += value.length;
    onProgress?.(received / total);
  }
  return decodeDataFile(data.subarray(0, received), url);
}
