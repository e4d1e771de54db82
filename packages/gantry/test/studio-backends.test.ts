import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSetting } from 'tfjs-backend-onednn/environment';
import { runFiles, skipWithoutChromium as skip, startRun, studioPageForFile, waitForIdle } from './studioPageFixtures.js';

// The page's GPU backends against its cpu backend, on the same settings: WebGL and WebGPU (in
// headless Chromium without a GPU both run on SwiftShader, so this checks the kernels, not speed).
// The first step's losses agree to 1e-4 relative, every logged step's to 1e-2 (float32 sums in a
// different order drift apart slowly as the weights move).
//
// SwiftShader is slow: a dcgan-mnist step of batch 16 takes about 6 s on the page's cpu backend,
// 3 s on WebGL and 16 s on WebGPU on two cores, so 20 such steps of both presets on three
// backends would take about 17 minutes. The suite runs 2 steps of batch 4 (about a minute); the
// full check is `GANTRY_STUDIO_BACKEND_STEPS=20 GANTRY_STUDIO_BACKEND_BATCH=16`.

const steps = readSetting('GANTRY_STUDIO_BACKEND_STEPS');
const batchSize = readSetting('GANTRY_STUDIO_BACKEND_BATCH');

const s = studioPageForFile();

const settings = { steps, batchSize, seed: 1, logEvery: 1, sampleEvery: steps, sampleCount: 16, checkpointEvery: steps };

type Losses = { step: number; d: number; g: number }[];

/** A run of `steps` on one backend: its logged losses, and the adapter (or renderer) the page named. */
async function losses(preset: string, backend: string): Promise<{ losses: Losses; adapter: string }> {
  const name = `${preset}-${backend}`;
  await waitForIdle(s.page); // a run a failed test left behind ends first
  const started = await startRun(s.page, { ...settings, preset, backend, name });
  assert.deepEqual(started, { run: name });
  const end = await waitForIdle(s.page);
  assert.equal(end.phase, 'finished', end.message);
  assert.equal(end.backend, backend);
  const adapter = await s.page.evaluate(() => studioApi().state().adapter);
  const log = (await runFiles(s.page, name)).get('metrics.jsonl')!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return { losses: log.map((r) => ({ step: r.step!, d: r['loss/D']!, g: r['loss/G']! })), adapter };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

for (const preset of ['dcgan-mnist', 'cgan-mnist']) {
  let reference: Losses | null = null;
  const cpu = async () => (reference ??= (await losses(preset, 'cpu')).losses);

  for (const backend of ['webgl', 'webgpu']) {
    test(`${preset}, ${steps} steps of batch ${batchSize} on ${backend}: the losses follow the page’s cpu backend`, { skip, timeout: 600_000 + steps * 60_000 }, async (t) => {
      const offer = (await s.page.evaluate(() => studioApi().backends())).find((o) => o.name === backend)!;
      if (!offer.available) {
        t.diagnostic(`${backend} is not available in this headless Chromium: ${offer.detail}`);
        t.skip(`${backend} unavailable: ${offer.detail}`);
        return;
      }
      const want = await cpu();
      const got = await losses(preset, backend);
      t.diagnostic(`${backend} ran on: ${got.adapter}`);
      assert.ok(got.adapter.length > 0, 'the page names what ran it');
      assert.deepEqual(got.losses.map((r) => r.step), want.map((r) => r.step), 'every step is logged');
      assert.equal(want.length, steps);
      const first = got.losses[0]!;
      assert.ok(relative(first.d, want[0]!.d) <= 1e-4 && relative(first.g, want[0]!.g) <= 1e-4,
        `step 1: D ${first.d} vs ${want[0]!.d}, G ${first.g} vs ${want[0]!.g}`);
      let worst = 0;
      got.losses.forEach((r, i) => {
        const d = relative(r.d, want[i]!.d);
        const g = relative(r.g, want[i]!.g);
        worst = Math.max(worst, d, g);
        assert.ok(d <= 1e-2 && g <= 1e-2, `step ${r.step}: D ${r.d} vs ${want[i]!.d}, G ${r.g} vs ${want[i]!.g}`);
      });
      t.diagnostic(`largest relative difference over the ${steps} steps: ${worst.toExponential(2)}`);
    });
  }
}
