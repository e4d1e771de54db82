import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { packRun, unpackRun } from 'gantry-core/run/archive.js';
import { exportGenerator } from '../src/export/exportGenerator.js';
import { FsRunStore } from '../src/io/fsRunStore.js';
import { contentTypes } from '../src/serve/http.js';
import { writeStudioSite } from '../src/studio/staticSite.js';
import { tempDir } from './fixtures.js';
import { writeImageFolder } from './imageFolderFixtures.js';
import { installApiShortcut, MnistOnly, runFiles, skipWithoutChromium as skip, startRun, studioPageForFile, waitForIdle, type StoredRun } from './studioPageFixtures.js';

// Runs in and out of the studio page (headless Chromium, TF.js's cpu backend): a page run
// downloaded as a zip, unzipped and continued by `gantry train --resume` ends on the weights of the
// CLI's uninterrupted run, byte for byte; a CLI run zipped and uploaded continues in the page to the
// same bytes; a zip that is not a run is refused with its one line and nothing stored; a folder of
// the user's images trains; and a page run's exported generator is `gantry export`'s, and previews.

await tf.setBackend('cpu'); // this process's export of the same checkpoint, for the comparison

const gantryBin = fileURLToPath(new URL('../../bin/gantry.js', import.meta.url));
const s = studioPageForFile();
let reference60: Buffer | undefined;

function gantry(args: string[]): void {
  const r = spawnSync(process.execPath, [gantryBin, ...args, '--quiet'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `gantry ${args.join(' ')}: ${r.stderr}`);
}

const checkpoint = (step: number) => `checkpoints/step-${String(step).padStart(9, '0')}/weights.bin`;

/** seed-mlp, seed 0, 60 steps of `gantry train --backend cpu` alone: the weights both directions must end on. */
function uninterrupted60(): Buffer {
  if (!reference60) {
    const out = join(tempDir('gantry-studio-runs-ref-'), 'run');
    gantry(['train', '--preset', 'seed-mlp', '--steps', '60', '--seed', '0', '--backend', 'cpu', '--out', out]);
    reference60 = readFileSync(join(out, checkpoint(60)));
  }
  return reference60;
}

/** Downloads the stored run `name` with its row's button; the zip's bytes. */
async function downloadZip(name: string): Promise<Buffer> {
  const [download] = await Promise.all([
    s.page.waitForEvent('download'),
    s.page.locator(`tr[data-run="${name}"] button.download`).click(),
  ]);
  assert.equal(download.suggestedFilename(), `${name}.zip`);
  const path = join(tempDir('gantry-studio-download-'), `${name}.zip`);
  await download.saveAs(path);
  return readFileSync(path);
}

/** Chooses `zip` in Upload run's file input; the line the page then shows. */
async function upload(zip: Buffer, fileName: string): Promise<{ text: string; error: boolean }> {
  await s.page.evaluate(() => { document.getElementById('runs-message')!.textContent = ''; });
  await s.page.setInputFiles('#upload-input', { name: fileName, mimeType: 'application/zip', buffer: zip });
  await s.page.waitForFunction(() => { const t = document.getElementById('runs-message')!.textContent; return t !== '' && t !== '…'; });
  const message = s.page.locator('#runs-message');
  return { text: await message.innerText(), error: (await message.getAttribute('class'))!.includes('error') };
}

const storedNames = async () => (await s.page.evaluate(() => studioApi().runs())).map((r: StoredRun) => r.name);

test('page to CLI: 30 steps in the page, downloaded, unzipped and continued to 60 by gantry train --resume, end on the uninterrupted CLI run’s weights', { skip, timeout: 400_000 }, async () => {
  assert.deepEqual(await startRun(s.page, { name: 'to-cli', preset: 'seed-mlp', steps: 30, seed: 0, backend: 'cpu' }), { run: 'to-cli' });
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.step, 30);

  const zip = await downloadZip('to-cli');
  const dir = join(tempDir('gantry-studio-to-cli-'), 'to-cli');
  const unpacked = await unpackRun(new Uint8Array(zip), new FsRunStore(dir));
  assert.deepEqual([unpacked.name, unpacked.step], ['to-cli', 30]);
  const pageFiles = await runFiles(s.page, 'to-cli');
  for (const [path, bytes] of pageFiles) assert.ok(readFileSync(join(dir, path)).equals(bytes), `${path} came out of the zip as the page stored it`);
  assert.ok(pageFiles.has('studio.json'), 'the page’s own file travels too');

  gantry(['train', '--resume', '--backend', 'cpu', '--steps', '60', '--out', dir]);
  assert.ok(readFileSync(join(dir, checkpoint(60))).equals(uninterrupted60()), 'page 0-30 then CLI 30-60: the weights of 60 steps of the CLI alone, byte for byte');
});

test('CLI to page: 30 steps of gantry train, zipped, uploaded and resumed to 60 on the page’s cpu backend, end on the same weights', { skip, timeout: 400_000 }, async () => {
  const dir = join(tempDir('gantry-studio-from-cli-'), 'from-cli');
  gantry(['train', '--preset', 'seed-mlp', '--steps', '30', '--seed', '0', '--backend', 'cpu', '--out', dir]);
  const zip = await packRun(new FsRunStore(dir), 'from-cli');

  const shown = await upload(Buffer.from(zip), 'from-cli.zip');
  assert.deepEqual(shown, { text: 'uploaded from-cli at step 30: press its Resume to continue it here', error: false });
  const listed = (await s.page.evaluate(() => studioApi().runs())).find((r: StoredRun) => r.name === 'from-cli');
  assert.deepEqual(listed, { name: 'from-cli', preset: 'seed-mlp', data: 'mnist', steps: 30, lastStep: 30 });
  assert.match(await s.page.locator('tr[data-run="from-cli"]').innerText(), /step 30 of 30/);
  assert.deepEqual(await upload(Buffer.from(zip), 'again.zip'), { text: 'a run named from-cli is already in this browser; delete it first, or rename the zip\'s top folder', error: true });

  // no studio.json: the page takes cpu (nothing chosen) and MNIST from config.data; 60 is the new total
  await s.page.evaluate(() => studioApi().resume('from-cli', { steps: 60 }));
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.deepEqual([end.step, end.backend], [60, 'cpu']);
  const files = await runFiles(s.page, 'from-cli');
  assert.ok(files.get(checkpoint(60))!.equals(uninterrupted60()), 'CLI 0-30 then page 30-60: the weights of 60 steps of the CLI alone, byte for byte');
});

test('a zip that is not a run is refused with its one line shown in the page, and no run is stored', { skip, timeout: 120_000 }, async () => {
  const before = await storedNames();
  const { zipSync } = await import('fflate');
  const notARun = zipSync({ 'holiday/photo.jpg': new Uint8Array(64).fill(7), 'holiday/notes.txt': new TextEncoder().encode('hello') });
  const shown = await upload(Buffer.from(notARun), 'holiday.zip');
  assert.equal(shown.error, true);
  assert.match(shown.text, /^the zip holds 'holiday\/(photo\.jpg|notes\.txt)', which is not part of a run; a run zip holds config\.json/);
  assert.ok(!shown.text.includes('\n'), 'one line');

  const garbage = await upload(Buffer.from('not a zip at all'), 'garbage.zip');
  assert.equal(garbage.error, true);
  assert.match(garbage.text, /^this is not a zip file/);
  assert.deepEqual(await storedNames(), before, 'nothing was stored');
});

test('a folder of 40 PNG, JPEG and WebP images with one broken file trains in the page, which says the file was skipped', { skip, timeout: 200_000 }, async () => {
  const folder = join(tempDir('gantry-studio-runs-folder-'), 'pets');
  mkdirSync(folder);
  await writeImageFolder(folder);
  await s.page.fill('#folder-size', '28');
  await s.page.selectOption('#folder-channels', '1');
  await s.page.setInputFiles('#folder-input', folder);
  await s.page.waitForFunction(() => (globalThis as unknown as { gantryStudio: { data: { title: string } | null } }).gantryStudio.data?.title === 'pets');
  assert.match(await s.page.locator('.data-preview .skipped').innerText(), /^1 file could not be decoded and was skipped\s+dogs\/broken\.png: /);
  assert.equal(await s.page.locator('.data-preview .count').innerText(), '40 images');

  assert.deepEqual(await startRun(s.page, { name: 'pets', preset: 'seed-mlp', steps: 4, batchSize: 8, seed: 1, backend: 'cpu' }), { run: 'pets' });
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.step, 4);
  const files = await runFiles(s.page, 'pets');
  assert.ok(files.has(checkpoint(4)), 'it checkpointed its last step');
  const info = JSON.parse(files.get('studio.json')!.toString('utf8')) as { dataTitle: string; builtin: string | null };
  assert.deepEqual([info.dataTitle, info.builtin], ['pets', null]);
  const losses = files.get('metrics.jsonl')!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => typeof r['loss/G'] === 'number');
  assert.ok(losses.length > 0 && losses.every((r) => Number.isFinite(r['loss/G'])), 'it logged finite losses');
});

test('Export generator of a page run holds gantry.json, the LayersModel and model.onnx, byte for byte gantry export’s of the same run; Preview draws its grid', { skip, timeout: 300_000 }, async () => {
  // the page run of the first test (checkpoint 30), or a short one when it ran alone
  if (!(await storedNames()).includes('to-cli')) {
    await startRun(s.page, { name: 'to-cli', preset: 'seed-mlp', steps: 30, seed: 0, backend: 'cpu' });
    assert.equal((await waitForIdle(s.page)).phase, 'finished');
  }
  const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.locator('tr[data-run="to-cli"] button.export').click()]);
  assert.equal(download.suggestedFilename(), 'to-cli-generator.zip');
  const zipPath = join(tempDir('gantry-studio-export-'), 'g.zip');
  await download.saveAs(zipPath);
  const { unzipSync } = await import('fflate');
  const zipped = unzipSync(new Uint8Array(readFileSync(zipPath)));
  assert.deepEqual(Object.keys(zipped).sort(), ['gantry.json', 'model.onnx', 'model/group1-shard1of1.bin', 'model/model.json'].map((p) => `to-cli-generator/${p}`));

  // gantry export of the same run, unzipped from the page's Download
  const run = join(tempDir('gantry-studio-export-run-'), 'to-cli');
  await unpackRun(new Uint8Array(await downloadZip('to-cli')), new FsRunStore(run));
  const out = join(tempDir('gantry-studio-export-cli-'), 'export');
  await exportGenerator({ runDir: run, out, format: 'all' });
  for (const [path, bytes] of Object.entries(zipped)) {
    const name = path.slice('to-cli-generator/'.length);
    assert.ok(Buffer.from(bytes).equals(readFileSync(join(out, ...name.split('/')))), `${name}: the page's export is gantry export's`);
  }
  const manifest = JSON.parse(Buffer.from(zipped['to-cli-generator/gantry.json']!).toString('utf8')) as { step: number; weights: string };
  assert.equal(manifest.step, 30);

  const [preview] = await Promise.all([s.page.waitForEvent('popup'), s.page.locator('tr[data-run="to-cli"] button.preview').click()]);
  preview.on('pageerror', (e) => s.errors.push(`preview: ${e.message}`));
  await preview.waitForFunction(() => (window as unknown as { gantryPage?: unknown }).gantryPage !== undefined, undefined, { timeout: 60_000 });
  await preview.evaluate(() => (window as unknown as { gantryPage: { ready: Promise<void> } }).gantryPage.ready);
  assert.equal(await preview.evaluate(() => (window as unknown as { gantryPage: { info: { step: number } } }).gantryPage.info.step), 30);
  const grid = await preview.evaluate(() => {
    const c = document.getElementById('grid') as HTMLCanvasElement;
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const values = new Set<number>();
    for (let i = 0; i < px.length; i += 4) values.add(px[i]!);
    return { width: c.width, height: c.height, distinct: values.size };
  });
  assert.ok(grid.width > 100 && grid.height > 100, `a grid of 64 28x28 images: ${grid.width}x${grid.height}`);
  assert.ok(grid.distinct > 10, `the grid is drawn, not blank: ${grid.distinct} distinct red values`);
  await preview.close();
});


test('the --static build previews too: its preview/ folder is the export page, drawing a generator the static page exported', { skip, timeout: 300_000 }, async () => {
  const dir = join(tempDir('gantry-studio-static-preview-'), 'site');
  await writeStudioSite(dir, new MnistOnly(() => {}));
  // any static web server: the folder's files by path, nothing else (the test's paths are plain)
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, ...`${path}${path.endsWith('/') ? 'index.html' : ''}`.split('/'));
    if (path.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const page = await s.browser.newPage();
  try {
    page.on('pageerror', (e) => s.errors.push(`static: ${e.message}`));
    await installApiShortcut(page);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { gantryStudio?: unknown }).gantryStudio !== undefined);
    await page.evaluate(() => studioApi().ready);
    assert.deepEqual(await page.evaluate(() => studioApi().start({ name: 'static', preset: 'seed-mlp', steps: 3, backend: 'cpu' })), { run: 'static' });
    assert.equal((await page.evaluate(() => studioApi().waitForIdle())).phase, 'finished');
    const [preview] = await Promise.all([page.waitForEvent('popup'), page.locator('tr[data-run="static"] button.preview').click()]);
    preview.on('pageerror', (e) => s.errors.push(`static preview: ${e.message}`));
    await preview.waitForFunction(() => (window as unknown as { gantryPage?: unknown }).gantryPage !== undefined);
    await preview.evaluate(() => (window as unknown as { gantryPage: { ready: Promise<void> } }).gantryPage.ready);
    assert.equal(await preview.evaluate(() => (window as unknown as { gantryPage: { info: { step: number } } }).gantryPage.info.step), 3);
    assert.ok(new URL(preview.url()).pathname.endsWith('/preview/index.html'));
  } finally {
    await page.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
