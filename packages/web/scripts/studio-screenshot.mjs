// Saves docs/images/studio.png: Gantry Studio's page (1280x900, dark) in the middle of a run.
// It starts `gantry studio` in this process on a free port (MNIST only), trains seed-mlp on the
// page's cpu backend, and takes the picture once the samples look like digits, while the run goes on.
//
//   npx tsc -b packages/core packages/tfjs-backend-onednn packages/gantry && npm run build -w packages/web
//   node packages/web/scripts/studio-screenshot.mjs [OUT.png]
//
// Needs Debian's chromium (/usr/bin/chromium) and playwright-core (a dev dependency of the repository).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = resolve(process.argv[2] ?? join(repo, 'docs/images/studio.png'));
const { startStudio } = await import(join(repo, 'packages/gantry/dist/src/studio/server.js'));
const { StudioSetCache } = await import(join(repo, 'packages/gantry/dist/src/studio/dataSets.js'));

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
  page.setDefaultTimeout(180_000);
  await page.goto(studio.url);
  await page.waitForFunction(() => globalThis.gantryStudio?.ready);
  await page.evaluate(() => globalThis.gantryStudio.ready);
  const started = await page.evaluate(() => globalThis.gantryStudio.start({
    name: 'seed-mlp-mnist', preset: 'seed-mlp', backend: 'cpu', steps: 4000, batchSize: 32, seed: 1,
    logEvery: 20, sampleEvery: 200, sampleCount: 36, checkpointEvery: 1000,
  }));
  if (!('run' in started)) throw new Error(`the page refused the run: ${JSON.stringify(started)}`);
  // mid-run: after a few sample grids, while it trains
  await page.waitForFunction(() => Number(document.querySelector('#sample-grid')?.dataset.step ?? 0) >= 1200, undefined, { polling: 200 });
  await page.waitForTimeout(400);
  await page.screenshot({ path: out });
  await page.evaluate(() => globalThis.gantryStudio.pause());
  await page.evaluate(() => globalThis.gantryStudio.waitForIdle());
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await studio.close();
}
