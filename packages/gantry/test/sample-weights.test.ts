// `--weights ema|raw` on gantry sample and gantry eval: which G a run's samples come from. A run
// that keeps an EMA of G samples the average by default; raw gives G's own trained weights.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { generateImages01 } from 'gantry-core/train/images.js';
import { Stream } from 'gantry-core/util/random.js';
import { selectBackend } from '../src/backend.js';
import { readNpy } from '../src/io/npy.js';
import { openRun } from '../src/runFolder/checkpoints.js';
import { train } from '../src/train/loop.js';
import { runGantryCli } from './exportFixtures.js';
import { tempDir, tinyConfig, tinyImages } from './fixtures.js';

const work = tempDir('gantry-sample-weights-');
const withEma = join(work, 'ema-run');
const plain = join(work, 'plain-run');

before(async () => {
  // decay 0.5 from step 0: after 4 steps the average is measurably off G's own weights
  const a = await train({ config: tinyConfig({ steps: 4, checkpointEvery: 4, sampleEvery: 1000, ema: { decay: 0.5, startStep: 0 } }), out: withEma, data: tinyImages(), quiet: true });
  a.gan.dispose();
  const b = await train({ config: tinyConfig({ steps: 2, checkpointEvery: 2, sampleEvery: 1000 }), out: plain, data: tinyImages(), quiet: true });
  b.gan.dispose();
});

async function sampleFile(name: string, extra: string[]): Promise<Float32Array> {
  const out = join(work, name);
  const r = runGantryCli(['sample', '--run', withEma, '--n', '6', '--out', out, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return (await readNpy(out)).data as Float32Array;
}

test('sample --weights: the default is the EMA, raw is G itself', async () => {
  const byDefault = await sampleFile('default.npy', []);
  const ema = await sampleFile('ema.npy', ['--weights', 'ema']);
  const raw = await sampleFile('raw.npy', ['--weights', 'raw']);
  assert.deepEqual(byDefault, ema);
  const differ = raw.reduce((m, x, i) => Math.max(m, Math.abs(x - ema[i]!)), 0);
  assert.ok(differ > 1e-4, `raw and EMA samples should differ, largest difference ${differ}`);

  // raw is exactly what G's own weights make from the same noise, in this process on the same backend
  await selectBackend('auto');
  const { gan } = openRun(withEma);
  gan.sampleWeights = 'raw';
  const expected = await generateImages01(gan, 0, Stream.sampleCommand, 6);
  gan.sampleWeights = 'ema';
  const expectedEma = await generateImages01(gan, 0, Stream.sampleCommand, 6);
  gan.dispose();
  const off = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  assert.ok(off(raw, expected) < 1e-5, `raw vs G: ${off(raw, expected)}`);
  assert.ok(off(ema, expectedEma) < 1e-5, `ema vs G_ema: ${off(ema, expectedEma)}`);
});

test('--weights ema on a run without an EMA, or with --npy, is one clear line and exit 2', () => {
  const before = readdirSync(plain).sort();
  for (const args of [
    ['sample', '--run', plain, '--n', '4', '--out', join(work, 'never.npy'), '--weights', 'ema'],
    ['eval', '--run', plain, '--n', '10', '--weights', 'ema'],
  ]) {
    const r = runGantryCli(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n').filter((l) => !/^gantry: (backend|using)/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /keeps no EMA of G.*--weights raw/);
  }
  const bad = runGantryCli(['sample', '--run', withEma, '--n', '4', '--out', join(work, 'never.npy'), '--weights', 'best']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--weights/);
  const npy = runGantryCli(['eval', '--npy', join(work, 'raw.npy'), '--data', 'mnist', '--weights', 'raw']);
  assert.equal(npy.code, 2);
  assert.match(npy.stderr, /--weights go with --run/);
  assert.deepEqual(readdirSync(plain).sort(), before);
  assert.ok(!readdirSync(work).includes('never.npy'));
});
