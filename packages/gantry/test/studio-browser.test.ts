import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from './fixtures.js';
import { gotoStudio, runFiles, skipWithoutChromium as skip, startRun, studioPageForFile, waitForIdle, waitForStep, type StoredRun } from './studioPageFixtures.js';

// Training in the studio page (headless Chromium, TF.js's cpu backend): the same bytes as
// `gantry train --backend cpu`, a run cut by a reload that resumes from browser storage to the
// same bytes, and settings the core refuses shown next to their fields with no run started.

const gantryBin = fileURLToPath(new URL('../../bin/gantry.js', import.meta.url));
const s = studioPageForFile();

const weightsOf = (files: Map<string, Buffer>, step: number) => {
  const w = files.get(`checkpoints/step-${String(step).padStart(9, '0')}/weights.bin`);
  assert.ok(w, `the run has a checkpoint of step ${step}; it has ${[...files.keys()].join(', ')}`);
  return w;
};

/** Every file under a folder, as /-separated paths relative to it. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** metrics.jsonl's training values (no timings), one entry per record. */
const trainingRecords = (files: Map<string, Buffer>) => files.get('metrics.jsonl')!.toString('utf8').trim().split('\n').map((line) =>
  Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('time/'))));

/** A PNG's width and height (its IHDR). */
const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

test('seed-mlp, 60 steps on the page’s cpu backend: the final checkpoint’s weights are byte for byte gantry train --backend cpu’s, in a run folder of the same files', { skip, timeout: 300_000 }, async () => {
  const started = await startRun(s.page, { name: 'parity', preset: 'seed-mlp', steps: 60, seed: 0, backend: 'cpu' });
  assert.deepEqual(started, { run: 'parity' });
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.step, 60);
  const page = await runFiles(s.page, 'parity');

  const out = join(tempDir('gantry-studio-parity-'), 'run');
  const cli = spawnSync(process.execPath, [gantryBin, 'train', '--preset', 'seed-mlp', '--steps', '60', '--seed', '0', '--backend', 'cpu', '--out', out, '--quiet'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(cli.status, 0, cli.stderr);

  const nodeWeights = readFileSync(join(out, 'checkpoints/step-000000060/weights.bin'));
  assert.ok(nodeWeights.length > 100_000, 'seed-mlp has about 200,000 weights');
  assert.ok(weightsOf(page, 60).equals(nodeWeights), 'the page’s weights.bin is the CLI’s, byte for byte');
  // the same run folder: every file the CLI wrote, and only the page's own studio.json besides
  assert.deepEqual([...page.keys()].filter((p) => p !== 'studio.json').sort(), filesUnder(out));
  assert.deepEqual(pngSize(page.get('samples/step-000000060.png')!), pngSize(readFileSync(join(out, 'samples/step-000000060.png'))), 'the same sample grid layout');
  const pageConfig = JSON.parse(page.get('config.json')!.toString('utf8')) as Record<string, unknown>;
  const nodeConfig = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual({ ...pageConfig, backend: null }, { ...nodeConfig, backend: null }, 'the same config apart from the backend');
  const metricsSteps = (text: string) => text.trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(metricsSteps(page.get('metrics.jsonl')!.toString('utf8')), metricsSteps(readFileSync(join(out, 'metrics.jsonl'), 'utf8')));
});

test('a run paused, resumed, then cut by a reload, resumes from browser storage to the uninterrupted run’s weights', { skip, timeout: 300_000 }, async () => {
  const settings = { preset: 'seed-mlp', steps: 80, seed: 5, batchSize: 16, checkpointEvery: 10, logEvery: 5, sampleEvery: 40, backend: 'cpu' };
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'whole' }), { run: 'whole' });
  assert.equal((await waitForIdle(s.page)).phase, 'finished');

  assert.deepEqual(await startRun(s.page, { ...settings, name: 'cut' }), { run: 'cut' });
  await waitForStep(s.page, 4);
  await s.page.click('#pause');
  const paused = await waitForIdle(s.page);
  assert.equal(paused.phase, 'paused', paused.message);
  assert.ok(paused.step >= 4 && paused.step < 80, `paused at step ${paused.step}`);
  // the pause wrote a checkpoint of the step it stopped at
  const atPause = await runFiles(s.page, 'cut');
  assert.equal(JSON.parse(atPause.get('checkpoints/latest.json')!.toString('utf8')).step, paused.step);

  await s.page.click('#resume');
  await waitForStep(s.page, Math.max(paused.step, 10) + 6); // past a checkpoint of its own
  await gotoStudio(s.page); // the reload: the run stops wherever it is, mid-step perhaps

  const listed = await s.page.evaluate(() => studioApi().runs());
  const cut = listed.find((r: StoredRun) => r.name === 'cut');
  assert.ok(cut && cut.lastStep !== null && cut.lastStep >= 10 && cut.lastStep < 80, `the stored run is listed with its checkpoint, cut mid-run: ${JSON.stringify(cut)}`);
  const row = s.page.locator('tr[data-run="cut"]');
  assert.match(await row.innerText(), new RegExp(`step ${cut.lastStep}`));
  await row.locator('button.resume').click();
  await s.page.waitForFunction(() => studioApi().state().phase !== 'idle');
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.step, 80);

  const whole = await runFiles(s.page, 'whole');
  const resumed = await runFiles(s.page, 'cut');
  assert.ok(weightsOf(resumed, 80).equals(weightsOf(whole, 80)), 'the resumed run’s final weights are the uninterrupted run’s');
  assert.deepEqual(trainingRecords(resumed), trainingRecords(whole), 'the log has the same records, none repeated or lost');
});

test('settings the core refuses are shown next to their field, Start is refused and no run starts', { skip, timeout: 120_000 }, async () => {
  const runsBefore = (await s.page.evaluate(() => studioApi().runs())).map((r: StoredRun) => r.name);
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ lrG: -0.001 }, 'lrG', /optimizerG\.learningRate must be a number in \[0, 10\], got -0\.001/],
    [{ lrD: 0 }, 'lrD', /optimizerD: learningRate and epsilon must be above 0/],
    [{ batchSize: 0 }, 'batchSize', /batchSize must be an integer from 1/],
    [{ steps: 2.5 }, 'steps', /steps must be an integer/],
    [{ extra: { generator: { input: [100], layers: [{ kind: 'dense', units: 784 }, { kind: 'wobble' }] } } }, 'extra', /generator\.layers\[1\]\.kind must be one of: /],
    [{ preset: 'no-such-preset' }, 'preset', /unknown preset 'no-such-preset'/],
  ];
  for (const [settings, field, message] of cases) {
    const got = await startRun(s.page, { preset: 'seed-mlp', steps: 10, backend: 'cpu', name: `bad-${field}`, ...settings });
    assert.ok('refused' in got, `${JSON.stringify(settings)} is refused`);
    assert.match(got.refused[field] ?? '', message, `${JSON.stringify(settings)}: the message is on ${field}: ${JSON.stringify(got.refused)}`);
    assert.match(await s.page.locator(`#err-${field}`).innerText(), message, 'shown under the field');
    assert.equal(await s.page.locator(`label[data-field="${field}"]`).getAttribute('class').then((c) => c?.includes('invalid')), true);
    assert.equal(await s.page.locator('#start').isDisabled(), true, 'Start is refused');
    assert.notEqual(await s.page.evaluate(() => studioApi().state().run), `bad-${field}`, 'no run started');
  }
  assert.deepEqual((await s.page.evaluate(() => studioApi().runs())).map((r: StoredRun) => r.name), runsBefore, 'no run was stored');
  // a fresh page with nothing chosen: the default preset on MNIST, through the page's own controls
  await gotoStudio(s.page);
  assert.equal(await s.page.inputValue('#set-preset'), 'dcgan-mnist', 'the CLI’s default preset for MNIST');
  assert.equal(await s.page.locator('#err-lrG').innerText(), '', 'no message left over');
  assert.equal(await s.page.locator('#start').isDisabled(), false);
  assert.equal(await s.page.evaluate(() => (globalThis as unknown as { gantryStudio: { data: unknown } }).gantryStudio.data), null, 'no data chosen');
  await s.page.selectOption('#backend', 'cpu'); // the slowest backend, but the only one sure to be there
  await s.page.fill('#set-steps', '1');
  await s.page.fill('#set-batchSize', '8');
  await s.page.fill('#run-name', 'defaults');
  await s.page.click('#start');
  await s.page.waitForFunction(() => studioApi().state().run === 'defaults');
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  const config = JSON.parse((await runFiles(s.page, 'defaults')).get('config.json')!.toString('utf8')) as { preset: string; data: string; batchSize: number };
  assert.deepEqual([config.preset, config.data, config.batchSize], ['dcgan-mnist', 'mnist', 8]);
  assert.equal(await s.page.locator('.data-preview .count').innerText(), '10,000 images', 'MNIST was loaded for it');
});

test('where OPFS is missing, runs are kept in IndexedDB: a run cut by a reload resumes there to the same weights as in OPFS', { skip, timeout: 180_000 }, async () => {
  const settings = { preset: 'seed-mlp', steps: 80, seed: 9, batchSize: 16, checkpointEvery: 10, logEvery: 10, sampleEvery: 80, backend: 'cpu' };
  assert.equal(await s.page.evaluate(() => studioApi().storage()), 'opfs', 'Chromium has OPFS');
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'in-opfs' }), { run: 'in-opfs' });
  assert.equal((await waitForIdle(s.page)).phase, 'finished');
  const opfs = await runFiles(s.page, 'in-opfs');

  await gotoStudio(s.page, new URL('?storage=indexeddb', s.studio.url).href);
  assert.equal(await s.page.evaluate(() => studioApi().storage()), 'indexeddb');
  assert.deepEqual((await s.page.evaluate(() => studioApi().runs())).map((r: StoredRun) => r.name), [], 'IndexedDB holds no run yet');
  assert.deepEqual(await startRun(s.page, { ...settings, name: 'in-idb' }), { run: 'in-idb' });
  await waitForStep(s.page, 14);
  await gotoStudio(s.page);
  const listed = (await s.page.evaluate(() => studioApi().runs())).find((r: StoredRun) => r.name === 'in-idb');
  assert.ok(listed && listed.lastStep !== null && listed.lastStep >= 10 && listed.lastStep < 80, `cut mid-run: ${JSON.stringify(listed)}`);
  await s.page.evaluate(() => studioApi().resume('in-idb'));
  assert.equal((await waitForIdle(s.page)).phase, 'finished');
  const idb = await runFiles(s.page, 'in-idb');
  assert.deepEqual([...idb.keys()].sort(), [...opfs.keys()].sort(), 'the same files');
  assert.ok(weightsOf(idb, 80).equals(weightsOf(opfs, 80)), 'the same final weights');
  assert.deepEqual(trainingRecords(idb), trainingRecords(opfs));
  await gotoStudio(s.page, s.studio.url);
});
