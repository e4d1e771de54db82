import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { StudioDataIndex } from 'gantry-core/data/gdsFormat.js';
import { StudioSetCache } from '../src/studio/dataSets.js';
import { startStudio } from '../src/studio/server.js';
import type { RunningServer } from '../src/serve/http.js';
import { rawRequest } from './httpFixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const webDist = join(here, '..', '..', '..', 'web', 'dist');
type Reader = { decodeDataFile(data: Uint8Array): { count: number; bytes: Uint8Array; pixels01: Float32Array; labels?: Int32Array } };

let studio: RunningServer;
const warnings: string[] = [];

before(async () => {
  studio = await startStudio({ port: 0 }, new StudioSetCache((line) => warnings.push(line)));
});

after(async () => {
  await studio?.close();
});

test('/ is the page and /studio.js its bundle, with their content types', async () => {
  const page = await fetch(studio.url);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await page.text();
  assert.match(html, /<title>Gantry Studio<\/title>/);
  assert.match(html, /src="studio.js"/);
  const js = await fetch(new URL('studio.js', studio.url));
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.ok(Buffer.from(await js.arrayBuffer()).equals(readFileSync(join(webDist, 'studio.js'))), 'the built bundle, byte for byte');
  assert.equal((await fetch(new URL('studio.css', studio.url))).headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal((await fetch(new URL('dashboard.js', studio.url))).status, 404, 'only the studio bundle is served');
  assert.equal((await fetch(new URL('data/other.gds', studio.url))).status, 404);
});

test('/data/index.json lists the four sets; /data/mnist.gds holds the images loadDataset gives', async () => {
  const res = await fetch(new URL('data/index.json', studio.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const index = (await res.json()) as StudioDataIndex;
  assert.equal(index.format, 'gantry-studio-data');
  assert.deepEqual(index.sets.map((s) => s.file), ['mnist.gds', 'fashion-mnist.gds', 'emoji-google.gds', 'emoji-twitter.gds']);
  const mnist = index.sets[0]!;
  assert.deepEqual([mnist.count, mnist.shape, mnist.classes, mnist.classNames.length], [10000, [28, 28, 1], 10, 10]);
  assert.deepEqual(index.sets[1]!.classNames.slice(0, 2), ['T-shirt/top', 'Trouser']);
  assert.ok(index.sets[2]!.count > 3000 && index.sets[2]!.classes === 10, 'the emoji, in their 10 categories');

  const data = await fetch(new URL('data/mnist.gds', studio.url));
  assert.equal(data.status, 200);
  assert.equal(data.headers.get('content-type'), 'application/octet-stream');
  assert.equal(data.headers.get('content-length'), String(mnist.bytes));
  const body = new Uint8Array(await data.arrayBuffer());
  assert.equal(body.length, mnist.bytes);
  const { decodeDataFile } = (await import(pathToFileURL(join(webDist, 'studioDataFile.js')).href)) as Reader;
  const set = decodeDataFile(body);
  const expected = await loadDataset('mnist');
  assert.equal(set.count, expected.count);
  assert.ok(Buffer.from(set.pixels01.buffer).equals(Buffer.from(expected.pixels01.buffer)));
  assert.deepEqual([...set.labels!.subarray(0, 12)], [...expected.labels!.subarray(0, 12)]);
  // built once: a second request is the same bytes from memory
  const again = new Uint8Array(await (await fetch(new URL('data/mnist.gds', studio.url))).arrayBuffer());
  assert.ok(Buffer.from(again).equals(Buffer.from(body)));
});

test('a request that does not name this machine is refused (DNS rebinding)', async () => {
  const r = await rawRequest(studio.url, '/data/index.json', 'GET', { host: 'evil.example:80' });
  assert.equal(r.status, 403);
});
