import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../src/serve/http.js';
import { StudioSetCache } from '../src/studio/dataSets.js';
import { startStudio } from '../src/studio/server.js';
import { tempDir } from './fixtures.js';
import { BLUE, RED, writeImageFolder } from './imageFolderFixtures.js';
import { launchChromium, skipWithoutChromium as skip } from './studioPageFixtures.js';

// The user's own images, read by the page in a real headless Chromium (Debian's): a folder of
// PNG, JPEG and WebP files in two class subfolders, and one file that is not an image at all.

let browser: Browser;
let page: Page;
let studio: RunningServer;
let folder: string;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  folder = join(tempDir('gantry-studio-folder-'), 'pets');
  mkdirSync(folder);
  await writeImageFolder(folder);
  studio = await startStudio({ port: 0 }, new StudioSetCache(() => {}));
  browser = await launchChromium(['--disable-gpu']);
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await studio?.close();
  assert.deepEqual(pageErrors, [], 'no script error on the page');
});

interface Loaded {
  count: number; height: number; width: number; channels: number; numClasses?: number; classNames?: string[];
  labels: number[]; skipped: { name: string; reason: string }[]; title: string;
  /** [r, g, b] of a few pixels: image, row, column */
  pixels: Record<string, number[]>;
}

/** What the page loaded last, read from its `gantryStudio` handle. */
function loaded(probes: [number, number, number][]): Promise<Loaded> {
  return page.evaluate((probes) => {
    const data = (globalThis as unknown as { gantryStudio: { data: { set: { count: number; height: number; width: number; channels: number; bytes: Uint8Array; labels?: Int32Array; numClasses?: number; classNames?: string[] }; skipped: { name: string; reason: string }[]; title: string } } }).gantryStudio.data;
    const s = data.set;
    const pixels: Record<string, number[]> = {};
    for (const [n, y, x] of probes) {
      const at = ((n * s.height + y) * s.width + x) * s.channels;
      pixels[`${n},${y},${x}`] = Array.from(s.bytes.subarray(at, at + s.channels));
    }
    return {
      count: s.count, height: s.height, width: s.width, channels: s.channels, numClasses: s.numClasses, classNames: s.classNames ? [...s.classNames] : undefined,
      labels: Array.from(s.labels ?? []), skipped: data.skipped, title: data.title, pixels,
    };
  }, probes);
}

const near = (actual: number[], expected: number[], tolerance: number, what: string) =>
  assert.ok(actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance), `${what}: ${actual.join(',')} is not near ${expected.join(',')}`);

test('a folder of PNG, JPEG and WebP images loads in the page: 40 decoded, the broken one skipped and named, classes from the subfolders', { skip }, async () => {
  await page.goto(studio.url);
  await page.fill('#folder-size', '16');
  await page.selectOption('#folder-channels', '3');
  await page.selectOption('#folder-resize', 'crop');
  await page.fill('#folder-background', 'white');
  await page.setInputFiles('#folder-input', folder);
  await page.waitForSelector('.data-preview .count', { timeout: 60000 });

  const got = await loaded([[0, 8, 2], [0, 8, 13], [1, 8, 8], [20, 8, 8], [39, 0, 0]]);
  assert.equal(got.title, 'pets');
  assert.deepEqual([got.count, got.height, got.width, got.channels], [40, 16, 16, 3]);
  assert.deepEqual(got.skipped.map((s) => s.name), ['dogs/broken.png']);
  assert.ok(got.skipped[0]!.reason.length > 0, 'the reason is given');
  assert.deepEqual([got.numClasses, got.classNames], [2, ['cats', 'dogs']]);
  assert.deepEqual(got.labels, [...Array(20).fill(0), ...Array(20).fill(1)]);
  // the half-transparent cat, cropped to its centre: red on the left, the white background on the right
  near(got.pixels['0,8,2']!, [RED.r, RED.g, RED.b], 6, 'opaque half');
  near(got.pixels['0,8,13']!, [255, 255, 255], 6, 'transparent half on white');
  near(got.pixels['1,8,8']!, [RED.r, RED.g, RED.b], 12, 'a JPEG cat');
  near(got.pixels['20,8,8']!, [BLUE.r, BLUE.g, BLUE.b], 12, 'the first dog');
  near(got.pixels['39,0,0']!, [BLUE.r, BLUE.g, BLUE.b], 12, 'the last dog');

  assert.equal(await page.locator('.data-preview .count').innerText(), '40 images');
  assert.match(await page.locator('.data-preview .skipped').innerText(), /^1 file could not be decoded and was skipped\s+dogs\/broken\.png: /);
  assert.equal(await page.locator('.data-preview .thumbs canvas').count(), 16);
});

test('the same folder in grey, stretched to 8x8: one channel, luma of the colour', { skip }, async () => {
  await page.fill('#folder-size', '8');
  await page.selectOption('#folder-channels', '1');
  await page.selectOption('#folder-resize', 'stretch');
  await page.setInputFiles('#folder-input', folder);
  await page.waitForFunction(() => document.querySelector('.data-preview .summary .shape')?.textContent === '8×8×1', undefined, { timeout: 60000 });
  const got = await loaded([[1, 4, 4], [20, 4, 4]]);
  assert.deepEqual([got.count, got.height, got.width, got.channels, got.skipped.length], [40, 8, 8, 1, 1]);
  const luma = (c: typeof RED) => Math.round(0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b);
  near(got.pixels['1,4,4']!, [luma(RED)], 8, 'grey cat');
  near(got.pixels['20,4,4']!, [luma(BLUE)], 8, 'grey dog');
});

test('the built-in sets are listed from data/index.json and one loads with its thumbnails', { skip }, async () => {
  await page.goto(studio.url);
  await page.waitForSelector('#builtin-set:not([disabled])', { timeout: 60000 });
  assert.deepEqual(await page.locator('#builtin-set option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['mnist', 'fashion-mnist', 'emoji-google', 'emoji-twitter']);
  await page.selectOption('#builtin-set', 'mnist');
  await page.click('#builtin-load');
  await page.waitForSelector('.data-preview .count', { timeout: 60000 });
  const got = await loaded([]);
  assert.deepEqual([got.count, got.height, got.width, got.channels, got.numClasses, got.skipped.length], [10000, 28, 28, 1, 10, 0]);
  assert.deepEqual(got.labels.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(await page.locator('.data-preview .count').innerText(), '10,000 images');
});
