// Saves docs/images/studio.png: Gantry Studio's page (1280x900, dark) in the middle of a run.
// The run is one that moved: `gantry train` trains dcgan-mnist on the built-in MNIST for 1,000 steps
// (about three minutes on the native backend), the run folder is zipped in the CLI's format and
// uploaded with the page's Upload run, and the page continues it on its cpu backend. The picture
// is taken once the page has trained a few steps of its own, with the CLI's curves and its last
// sample grid on screen. (Training dcgan-mnist from scratch in the page to that point would take
// hours here: the page is for a machine with a GPU, and this one's WebGL and WebGPU are software.)
//
//   npx tsc -b packages/core packages/tfjs-backend-onednn packages/gantry && npm run build -w packages/web
//   node packages/web/scripts/studio-screenshot.mjs [OUT.png]
//
// Needs Debian's chromium (/usr/bin/chromium) and playwright-core (a dev dependency of the repository).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = resolve(process.argv[2] ?? join(repo, 'docs/images/studio.png'));
const dist = (path) => import(join(repo, 'packages/gantry/dist/src', path));
const { startStudio } = await dist('studio/server.js');
const { StudioSetCache } = await dist('studio/dataSets.js');
const { FsRunStore } = await dist('io/fsRunStore.js');
const { packRun } = await import('gantry-core/run/archive.js');

const name = 'dcgan-mnist-from-cli';
const cliSteps = 1000;
const work = mkdtempSync(join(tmpdir(), 'gantry-studio-picture-'));
const runDir = join(work, name);
const trained = spawnSync(process.execPath, [
  join(repo, 'packages/gantry/bin/gantry.js'), 'train', '--preset', 'dcgan-mnist', '--data', 'mnist', '--steps', String(cliSteps),
  '--seed', '0', '--log-every', '10', '--sample-every', '100', '--checkpoint-every', String(cliSteps), '--quiet', '--out', runDir,
], { stdio: 'inherit' });
if (trained.status !== 0) throw new Error(`gantry train stopped with exit code ${trained.status}`);
const zip = await packRun(new FsRunStore(runDir), name);

/** data/index.json lists MNIST only: the other sets need not be built for the picture. */
class MnistOnly extends StudioSetCache {
  async all() {
    return [await this.get('mnist')];
  }
}

const studio = await startStudio({ port: 0 }, new MnistOnly(() => {}));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  page.setDefaultTimeout(600_000);
  await page.goto(studio.url);
  await page.waitForFunction(() => globalThis.gantryStudio?.ready);
  await page.evaluate(() => globalThis.gantryStudio.ready);
  await page.setInputFiles('#upload-input', { name: `${name}.zip`, mimeType: 'application/zip', buffer: Buffer.from(zip) });
  // the runs card's message line says when the upload is stored (or why it was refused)
  await page.waitForFunction(() => !['', '…'].includes(document.getElementById('runs-message')?.textContent ?? ''), undefined, { polling: 200 });
  const uploaded = await page.textContent('#runs-message');
  if (!uploaded.startsWith('uploaded')) throw new Error(`the page refused the upload: ${uploaded}`);
  await page.selectOption('#backend', 'cpu'); // an uploaded run resumes on the backend chosen here
  await page.evaluate((n) => globalThis.gantryStudio.resume(n, { steps: 3000 }), name);
  const state = await page.evaluate(() => globalThis.gantryStudio.state());
  if (state.phase !== 'training') throw new Error(`the page did not resume ${name}: ${state.phase}, ${state.message} ${await page.textContent('#start-problem')}`);
  // a few of the page's own steps, so steps/s and the status line are the page's
  await page.waitForFunction((s) => globalThis.gantryStudio.state().step >= s, cliSteps + 3, { polling: 500 });
  await page.waitForTimeout(400);
  await page.screenshot({ path: out });
  await page.evaluate(() => globalThis.gantryStudio.pause());
  await page.evaluate(() => globalThis.gantryStudio.waitForIdle());
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await studio.close();
  rmSync(work, { recursive: true, force: true });
}
