import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { writeFixtureRoot, writeFixtureRun } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

// The pages in a real headless Chromium (Debian's), against a real server. Timeouts are generous:
// they only bound a failure, and a loaded machine can be many times slower than a quiet one.

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

let browser: Browser;
let page: Page;
let base: string;
let root: string;
let states: Record<string, string>;
let dash: RunningDashboard;
const pageErrors: string[] = [];

before(async () => {
  base = tempDir('gantry-dash-ui-');
  root = join(base, 'runs');
  mkdirSync(root);
  states = writeFixtureRoot(root);
  writeFileSync(join(base, 'secret.json'), '{"secret":true}\n');
  dash = await startDashboard({ root, port: 0 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await dash?.close();
  assert.deepEqual(pageErrors, [], 'no script error on any page');
});

const stateOf = (id: string) => page.locator(`tr[data-run="${id}"] td[data-col="state"] .badge`).getAttribute('data-state');

test('the run list of a fixture root shows each run with the right state; it sorts and filters', async () => {
  await page.goto(dash.url);
  await page.waitForSelector('tr[data-run]');
  for (const [id, state] of Object.entries(states)) assert.equal(await stateOf(id), state, id);
  assert.equal(await page.locator('tr[data-run]').count(), Object.keys(states).length);
  assert.match(await page.locator('tr[data-run="mlp-finished"] td[data-col="best"]').innerText(), /^41$/);

  await page.click('th[data-col="name"]');
  const names = await page.locator('tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));
  assert.deepEqual(names, Object.keys(states).sort((a, b) => a.localeCompare(b)));

  await page.fill('input[type="search"]', 'diverged');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-run]').length === 1);
  assert.equal(await stateOf('mlp-diverged'), 'diverged');
  await page.fill('input[type="search"]', '');
  await page.click('button.chip.state-crashed');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-run]').length === 4);
});

test('an empty root says so, and a run folder created later appears without a reload', async () => {
  const empty = join(tempDir('gantry-dash-empty-'), 'runs');
  mkdirSync(empty);
  const second = await startDashboard({ root: empty, port: 0 });
  try {
    await page.goto(second.url);
    await page.waitForSelector('td.empty');
    assert.match(await page.locator('td.empty').innerText(), /No runs yet under .*runs/);
    writeFixtureRun(join(empty, 'a-run-started-later-with-a-name-long-enough-to-need-truncating-in-the-table'), { lastStep: 50, totalSteps: 100, checkpoint: null, lock: 'live' });
    await page.waitForSelector('tr[data-run] .badge[data-state="running"]', { timeout: 15000 });
    const cell = page.locator('tr[data-run] .run-name');
    const [scroll, client] = await cell.evaluate((e) => [e.scrollWidth, e.clientWidth]);
    assert.ok(scroll > client, 'a long name is cut with an ellipsis, not stretched');
  } finally {
    await second.close();
  }
});

test('a run page draws every metric, shows its sample grids with a step slider, its config and checkpoints', async () => {
  await page.goto(`${dash.url}#/run/mlp-finished`);
  await page.waitForSelector('.plot[data-metric="loss/D"][data-points]');
  const metrics = await page.locator('.plot[data-metric]').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')).sort());
  // D on real and on fake images share one chart
  assert.deepEqual(metrics, ['D/real+D/fake', 'eval/fid', 'eval/kid', 'epoch', 'loss/D', 'loss/G', 'perf/images_per_s', 'perf/ms_per_step', 'time/elapsed_s'].sort());
  assert.equal(await page.locator('.plot[data-metric="eval/fid"]').getAttribute('data-points'), '5');
  assert.equal(await page.locator('.sample-step').innerText(), 'step 500');
  await page.locator('.samples input[type="range"]').fill('1');
  assert.equal(await page.locator('.sample-step').innerText(), 'step 200');
  assert.match((await page.locator('img.grid').getAttribute('src'))!, /\/files\/mlp-finished\/samples\/step-000000200\.png$/);
  assert.equal(await page.locator('img.grid').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), 1);
  assert.match(await page.locator('.checkpoints').innerText(), /Latest\s+step 500/);
  assert.match(await page.locator('.config').innerText(), /optimizerD\.learningRate\s+0\.001/);
  // the killed run says how many torn lines it skipped, and still draws
  await page.goto(`${dash.url}#/run/mlp-killed`);
  await page.waitForSelector('.plot[data-metric="loss/D"][data-points]');
  assert.match(await page.locator('.notice').innerText(), /1 torn line/);
});

test('compare overlays two runs and shows where their configs differ', async () => {
  await page.goto(`${dash.url}#/compare?runs=mlp-finished,mlp-stopped&metric=loss/D`);
  await page.waitForFunction(() => Number(document.querySelector('.plot[data-metric="compare"]')?.getAttribute('data-points')) === 80);
  // x, then raw and smoothed for each run
  assert.equal(await page.locator('.compare-chart .u-legend .u-series').count(), 5);
  assert.deepEqual(await page.locator('.compare-legend .legend-item').allInnerTexts(), ['mlp-finished', 'mlp-stopped']);
  const diff = await page.locator('.diff-table tbody tr').allInnerTexts();
  assert.deepEqual(diff.map((r) => r.split('\t')[0]).sort(), ['optimizerD.learningRate', 'steps']);
  // a third run, chosen in the page
  await page.click('label.pick[data-run="mlp-running"] input');
  await page.waitForFunction(() => document.querySelectorAll('.compare-legend .legend-item').length === 3);
  await page.waitForFunction(() => Number(document.querySelector('.plot[data-metric="compare"]')?.getAttribute('data-points')) > 80);
  assert.match(page.url(), /runs=mlp-finished,mlp-stopped,mlp-running/);
});

test('a run whose name holds a comma is compared like any other, and stays one run in the URL', async () => {
  const name = 'lr=2e-4,b=64';
  writeFixtureRun(join(root, name), { lastStep: 100, totalSteps: 100, checkpoint: 100 });
  await page.goto(`${dash.url}#/compare?runs=${encodeURIComponent(name)},mlp-finished&metric=loss/D`);
  await page.waitForFunction(() => document.querySelectorAll('.compare-legend .legend-item').length === 2);
  assert.deepEqual(await page.locator('.compare-legend .legend-item').allInnerTexts(), [name, 'mlp-finished']);
  await page.click('label.pick[data-run="mlp-stopped"] input');
  await page.waitForFunction(() => document.querySelectorAll('.compare-legend .legend-item').length === 3);
  assert.match(page.url(), /runs=lr%3D2e-4%2Cb%3D64,mlp-finished,mlp-stopped&metric=loss\/D$/);
});

test('runs may also be named one by one (run=, repeated): each is one name, a comma and all; mixed with runs= in order', async () => {
  const name = 'bs=32,lr=1e-3';
  writeFixtureRun(join(root, name), { lastStep: 100, totalSteps: 100, checkpoint: 100 });
  await page.goto(`${dash.url}#/compare?run=${name}&run=mlp-finished&metric=loss/D`);
  await page.waitForFunction(() => document.querySelectorAll('.compare-legend .legend-item').length === 2);
  assert.deepEqual(await page.locator('.compare-legend .legend-item').allInnerTexts(), [name, 'mlp-finished']);
  assert.equal(await page.locator(`label.pick[data-run="${name}"] input`).isChecked(), true);
  await page.goto(`${dash.url}#/compare?runs=mlp-stopped,mlp-finished&run=${encodeURIComponent(name)}&run=mlp-stopped&metric=loss/D`);
  await page.waitForFunction(() => document.querySelectorAll('.compare-legend .legend-item').length === 3);
  assert.deepEqual(await page.locator('.compare-legend .legend-item').allInnerTexts(), ['mlp-stopped', 'mlp-finished', name]);
});

test('traversal attempts from the browser get 404', async () => {
  for (const path of ['files/..%2fsecret.json', 'files/%2e%2e/secret.json', 'files/mlp-finished/..%2f..%2fsecret.json', 'files/%252e%252e/secret.json', 'static/..%2f..%2fpackage.json']) {
    const res = await page.goto(`${dash.url}${path}`);
    assert.equal(res?.status(), 404, path);
    assert.ok(!(await page.content()).includes('secret'), path);
  }
});

test('while a short training runs with --dashboard, the loss chart gains points and new sample grids appear without a reload', async () => {
  const out = join(tempDir('gantry-dash-live-'), 'live');
  const child = spawn(
    process.execPath,
    [bin, 'train', '--preset', 'seed-mlp', '--steps', '200000', '--log-every', '25', '--sample-every', '300', '--checkpoint-every', '200000', '--quiet', '--dashboard', '--port', '0', '--out', out],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  try {
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /dashboard at (http:\/\/127\.0\.0\.1:\d+\/#\/run\/live)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`training ended early: ${stderr}`)));
    });
    await page.goto(url);
    await page.evaluate(() => ((window as unknown as { loadedOnce: string }).loadedOnce = 'yes'));
    const points = () => page.locator('.plot[data-metric="loss/D"]').evaluate((e) => Number(e.getAttribute('data-points') ?? 0));
    await page.waitForFunction(() => Number(document.querySelector('.plot[data-metric="loss/D"]')?.getAttribute('data-points')) > 0, null, { timeout: 60000 });
    const first = await points();
    await page.waitForFunction((n) => Number(document.querySelector('.plot[data-metric="loss/D"]')?.getAttribute('data-points')) > n + 2, first, { timeout: 30000 });
    assert.ok((await points()) > first + 2);

    await page.waitForSelector('.sample-step', { timeout: 60000 });
    const firstGrid = await page.locator('.sample-step').innerText();
    await page.waitForFunction((s) => document.querySelector('.sample-step')?.textContent !== s, firstGrid, { timeout: 45000 });
    const step = (t: string) => Number(t.replace(/[^0-9]/g, ''));
    assert.ok(step(await page.locator('.sample-step').innerText()) > step(firstGrid));
    await page.waitForFunction(() => {
      const img = document.querySelector('img.grid') as HTMLImageElement | null;
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: string }).loadedOnce), 'yes', 'the page was not reloaded');
    assert.equal(await page.locator('.run-head .badge').getAttribute('data-state'), 'running');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 143, 'SIGTERM checkpoints and exits 143, closing the dashboard with it');
});
