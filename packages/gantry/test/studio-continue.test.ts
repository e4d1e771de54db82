import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { tempDir } from './fixtures.js';
import { writeImageFolder } from './imageFolderFixtures.js';
import { gotoStudio, openStudioPage, runFiles, skipWithoutChromium as skip, startRun, waitForIdle, type StoredRun, type StudioPage } from './studioPageFixtures.js';

// Going on with runs in the studio page (headless Chromium, TF.js's cpu backend): a finished run
// continued to a new total by its Continue button ends on the weights of a run of that total
// straight, and a total not above its step is refused with nothing changed; a run on the user's
// folder keeps its images in browser storage (beside the run, not in it), so that after a reload
// its Resume needs no folder and ends on the uninterrupted run's weights, until it is deleted.

let s: StudioPage;

before(async () => {
  if (skip) return;
  s = await openStudioPage();
  s.page.on('dialog', (d) => void d.accept()); // Delete's confirm()
});

after(async () => {
  if (skip) return;
  await s.close();
  assert.deepEqual(s.errors, [], 'no script error on the page');
});

const weightsOf = (files: Map<string, Buffer>, step: number) => {
  const w = files.get(`checkpoints/step-${String(step).padStart(9, '0')}/weights.bin`);
  assert.ok(w, `the run has a checkpoint of step ${step}; it has ${[...files.keys()].join(', ')}`);
  return w;
};

const sameFiles = (a: Map<string, Buffer>, b: Map<string, Buffer>) =>
  [...a.keys()].sort().join() === [...b.keys()].sort().join() && [...a].every(([path, bytes]) => bytes.equals(b.get(path)!));

/** The stored runs' message line once an action has written it: its text and whether it is an error. */
async function runsMessage(page: Page): Promise<{ text: string; error: boolean }> {
  await page.waitForFunction(() => { const t = document.getElementById('runs-message')!.textContent; return t !== '' && t !== '…'; });
  const message = page.locator('#runs-message');
  return { text: await message.innerText(), error: (await message.getAttribute('class'))!.includes('error') };
}

/** Waits until run `name` trains toward `total` (a Continue has started), then until it stops. */
async function untilContinued(page: Page, name: string, total: number) {
  await page.waitForFunction(([n, t]) => studioApi().state().run === n && studioApi().state().steps === t, [name, total] as const);
  return waitForIdle(page);
}

const clearRunsMessage = (page: Page) => page.evaluate(() => { document.getElementById('runs-message')!.textContent = ''; });

test('a finished run goes on by its Continue button to the weights of a run of the new total straight; a total not above its step is refused and changes nothing', { skip, timeout: 300_000 }, async () => {
  const settings = { preset: 'seed-mlp', seed: 3, batchSize: 8, checkpointEvery: 10, logEvery: 5, sampleEvery: 10, backend: 'cpu' };
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'straight', steps: 20 }), { run: 'straight' });
  assert.equal((await waitForIdle(s.page)).phase, 'finished');
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'short', steps: 10 }), { run: 'short' });
  assert.equal((await waitForIdle(s.page)).phase, 'finished');

  const row = s.page.locator('tr[data-run="short"]');
  assert.equal(await row.locator('input.continue-steps').inputValue(), '20', 'the default new total is double the old');
  assert.equal(await row.locator('button.resume').count(), 0, 'a finished run has Continue in place of Resume');
  const before = await runFiles(s.page, 'short');
  for (const total of ['10', '7', '']) {
    await clearRunsMessage(s.page);
    await row.locator('input.continue-steps').fill(total);
    await row.locator('button.continue').click();
    assert.deepEqual(await runsMessage(s.page), { text: 'short is at step 10: continue it to a whole number of steps above that', error: true }, `Continue to '${total}'`);
    assert.equal(await row.locator('input.continue-steps').inputValue(), total, 'what was typed stays for the user to correct');
  }
  const idle = await s.page.evaluate(() => studioApi().state());
  assert.deepEqual([idle.run, idle.phase, idle.step], ['short', 'finished', 10], 'nothing started');
  assert.ok(sameFiles(await runFiles(s.page, 'short'), before), 'the run’s files are unchanged');

  await row.locator('input.continue-steps').fill('20');
  await clearRunsMessage(s.page);
  await row.locator('button.continue').click();
  assert.deepEqual(await runsMessage(s.page), { text: 'continuing short from step 10 to 20', error: false });
  const end = await untilContinued(s.page, 'short', 20);
  assert.deepEqual([end.phase, end.step, end.steps], ['finished', 20, 20], end.message);
  const straight = await runFiles(s.page, 'straight');
  const continued = await runFiles(s.page, 'short');
  assert.ok(weightsOf(continued, 20).equals(weightsOf(straight, 20)), '10 steps, then Continue to 20: the weights of 20 steps straight, byte for byte');
  assert.equal(JSON.parse(continued.get('config.json')!.toString('utf8')).steps, 20, 'config.json has the new total, as after gantry train --resume --steps 20');
  assert.match(await row.innerText(), /step 20 of 20/);

  // the run just finished: the training card's own Continue, beside Pause and Resume
  assert.equal(await s.page.locator('#continue-group').isVisible(), true);
  assert.equal(await s.page.inputValue('#continue-steps'), '40');
  await s.page.fill('#continue-steps', '20');
  await s.page.click('#continue');
  await s.page.waitForFunction(() => document.getElementById('start-problem')!.textContent !== '');
  assert.equal(await s.page.locator('#start-problem').innerText(), 'short is at step 20: continue it to a whole number of steps above that');
  assert.ok(sameFiles(await runFiles(s.page, 'short'), continued), 'refused: the run’s files are unchanged');
  await s.page.fill('#continue-steps', '30');
  await s.page.click('#continue');
  const card = await untilContinued(s.page, 'short', 30);
  assert.deepEqual([card.run, card.phase, card.step], ['short', 'finished', 30], card.message);
  // the straight run, by its row, to the same total: the two buttons continue alike
  await s.page.locator('tr[data-run="straight"] input.continue-steps').fill('30');
  await s.page.locator('tr[data-run="straight"] button.continue').click();
  assert.equal((await untilContinued(s.page, 'straight', 30)).step, 30);
  assert.ok(weightsOf(await runFiles(s.page, 'short'), 30).equals(weightsOf(await runFiles(s.page, 'straight'), 30)), 'the card’s Continue to 30 ends where the row’s does');
});

const folder = () => {
  const dir = join(tempDir('gantry-studio-continue-folder-'), 'pets');
  mkdirSync(dir);
  return dir;
};

/** Loads `dir` through the folder input as 28x28 grey images (seed-mlp's shape). */
async function loadFolder(page: Page, dir: string): Promise<void> {
  await page.fill('#folder-size', '28');
  await page.selectOption('#folder-channels', '1');
  await page.setInputFiles('#folder-input', dir);
  await page.waitForFunction(() => (globalThis as unknown as { gantryStudio: { data: { title: string } | null } }).gantryStudio.data?.title === 'pets');
}

/** Presses Pause (in the page, between two steps) once the run is past `step`. */
async function pauseAfter(page: Page, step: number): Promise<void> {
  await page.evaluate((s) => new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (studioApi().state().step < s) return;
      clearInterval(t);
      document.getElementById('pause')!.click();
      resolve();
    }, 0);
  }), step);
}

const kept = (page: Page, name: string) => page.evaluate((n) => (globalThis as unknown as { gantryStudio: { keptData(n: string): Promise<string | null> } }).gantryStudio.keptData(n), name);
const loadedData = (page: Page) => page.evaluate(() => (globalThis as unknown as { gantryStudio: { data: unknown } }).gantryStudio.data);

/**
 * A folder run paused, the page reloaded, and the run resumed by its row's Resume with no folder
 * loaded: the weights of `whole`, an uninterrupted run of the same settings. Then Delete, which
 * takes the kept images too.
 */
async function resumeWithoutFolder(page: Page, settings: Record<string, unknown>, name: string, whole: Map<string, Buffer>): Promise<void> {
  assert.deepEqual(await startRun(page, { ...settings, name }), { run: name });
  await pauseAfter(page, 3);
  const paused = await waitForIdle(page);
  assert.equal(paused.phase, 'paused', paused.message);
  await gotoStudio(page);
  assert.equal(await loadedData(page), null, 'after the reload no folder is loaded');
  assert.ok(await kept(page, name), 'its images are kept');
  await page.locator(`tr[data-run="${name}"] button.resume`).click();
  await page.waitForFunction((n) => studioApi().state().run === n, name);
  const end = await waitForIdle(page);
  assert.deepEqual([end.phase, end.step], ['finished', 24], end.message);
  assert.equal(await page.locator('#start-problem').innerText(), '', 'it did not ask for the folder');
  assert.ok(weightsOf(await runFiles(page, name), 24).equals(weightsOf(whole, 24)), `${name}: paused, reloaded, resumed from the kept images: the uninterrupted run’s weights`);

  await page.locator(`tr[data-run="${name}"] button.delete`).click();
  await page.waitForFunction((n) => document.querySelector(`tr[data-run="${n}"]`) === null, name);
  assert.equal(await kept(page, name), null, 'Delete removed the kept images with the run');
  assert.ok(!(await page.evaluate(() => studioApi().runs())).some((r: StoredRun) => r.name === name));
}

test('a run on your folder keeps its images in browser storage, outside the run folder: after a reload Resume needs no folder and ends on the uninterrupted run’s weights, in OPFS and IndexedDB; Delete removes them', { skip, timeout: 300_000 }, async () => {
  const dir = folder();
  await writeImageFolder(dir);
  const settings = { preset: 'seed-mlp', steps: 24, seed: 4, batchSize: 8, checkpointEvery: 8, logEvery: 4, sampleEvery: 24, backend: 'cpu' };
  await loadFolder(s.page, dir);
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'mine-whole' }), { run: 'mine-whole' });
  assert.equal((await waitForIdle(s.page)).phase, 'finished');
  const whole = await runFiles(s.page, 'mine-whole');
  assert.ok([...whole.keys()].every((p) => !p.endsWith('.gds')), `the run folder is a gantry train run folder, with no data in it: ${[...whole.keys()].join(', ')}`);

  // the kept file is the .gds of exactly the set the run trained on
  const gds = Buffer.from((await kept(s.page, 'mine-whole'))!, 'base64');
  const set = await s.page.evaluate(() => {
    const d = (globalThis as unknown as { gantryStudio: { data: { set: { bytes: Uint8Array; labels?: Int32Array } } } }).gantryStudio.data.set;
    let b = '';
    for (const x of d.bytes) b += String.fromCharCode(x);
    return { bytes: btoa(b), labels: Array.from(d.labels ?? []) };
  });
  assert.equal(gds.subarray(0, 8).toString('latin1'), 'GNTRYDAT');
  const header = JSON.parse(gds.subarray(16, 16 + gds.readUInt32LE(12)).toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(header, { source: 'folder', count: 40, height: 28, width: 28, channels: 1, labelled: true, numClasses: 2, classNames: ['cats', 'dogs'] });
  assert.ok(gds.subarray(gds.length - 40 * 28 * 28).equals(Buffer.from(set.bytes, 'base64')), 'its pixels are the loaded set’s');

  await resumeWithoutFolder(s.page, settings, 'mine-cut', whole);
  assert.ok(await kept(s.page, 'mine-whole'), 'deleting one run leaves the others’ images');

  // where the kept images are missing (a run from before, storage cleared), Resume asks for the folder as before
  await s.page.evaluate(async () => (await (await navigator.storage.getDirectory()).getDirectoryHandle('run-data')).removeEntry('mine-whole.gds'));
  await s.page.evaluate(() => studioApi().resume('mine-whole', { steps: 32 }));
  const asked = await waitForIdle(s.page);
  assert.equal(asked.phase, 'failed');
  assert.match(asked.message, /^mine-whole stopped: mine-whole trained on your folder pets; load that folder again above, then press Resume/);

  await gotoStudio(s.page, new URL('?storage=indexeddb', s.studio.url).href);
  assert.equal(await s.page.evaluate(() => studioApi().storage()), 'indexeddb');
  await loadFolder(s.page, dir);
  await resumeWithoutFolder(s.page, settings, 'mine-idb', whole);
  await gotoStudio(s.page, s.studio.url);
});
