import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permutation, Rng } from 'gantry-core/util/random.js';

test('permutation is a permutation and a pure function of its arguments', () => {
  const p = permutation(1000, 1, 2, 3);
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(p, permutation(1000, 1, 2, 3));
  assert.notDeepEqual(p, permutation(1000, 1, 2, 4));
  assert.notDeepEqual(p, permutation(1000, 2, 2, 3));
});

test('normal draws have mean 0 and variance 1', () => {
  const x = new Rng(0, 1, 0).fillNormal(new Float32Array(200000));
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test('fillNormal gives the values of normal() called in turn, whatever the lengths and a pair left half used', () => {
  for (const lengths of [[7], [6], [1, 4], [3, 3, 2], [0, 5], [12801]]) {
    const one = new Rng(5, 4, 11);
    const batch = new Rng(5, 4, 11);
    for (const n of lengths) {
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) want[i] = 0.5 + 2 * one.normal();
      const got = batch.fillNormal(new Float32Array(n), 0.5, 2);
      assert.deepEqual(got, want, `lengths ${lengths}`);
    }
    assert.equal(batch.normal(), one.normal());
  }
});

test('uniform draws cover [0, 1) evenly', () => {
  const rng = new Rng(9, 9, 9);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) bins[Math.floor(rng.uniform() * 10)]++;
  for (const b of bins) assert.ok(Math.abs(b - 10000) < 500, `bins ${bins}`);
});

test('the version written into checkpoints is the package version', async () => {
  const { readFileSync } = await import('node:fs');
  const { gantryVersion } = await import('gantry-core/version.js');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(gantryVersion, pkg.version);
});
