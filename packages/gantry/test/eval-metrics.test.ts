import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classCoverage } from '../src/eval/coverage.js';
import { featureStats, frechetDistance } from '../src/eval/frechet.js';
import { inceptionScore } from '../src/eval/inceptionScore.js';
import { kernelInceptionDistance, kidSubsetSize } from '../src/eval/kid.js';
import { matMul, sqrtmPsd, symmetricEigen, traceSqrtProduct } from '../src/eval/linalg.js';
import { precisionRecall } from '../src/eval/precisionRecall.js';
import { Rng } from 'gantry-core/util/random.js';

function gaussianCloud(n: number, d: number, seed: number, mean = 0, std = 1): Float64Array {
  const rng = new Rng(seed, 99, 0);
  return Float64Array.from({ length: n * d }, () => mean + std * rng.normal());
}

function randomSpd(d: number, seed: number): Float64Array {
  const b = gaussianCloud(d, d, seed);
  const bt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) bt[i * d + j] = b[j * d + i]!;
  const a = matMul(b, bt, d);
  for (let i = 0; i < d; i++) a[i * d + i] += 0.1;
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('symmetric eigendecomposition reconstructs the matrix', () => {
  const d = 12;
  const a = randomSpd(d, 1);
  const { values, vectors } = symmetricEigen(a, d);
  for (let i = 1; i < d; i++) assert.ok(values[i]! >= values[i - 1]!, 'ascending');
  const back = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += vectors[i * d + k]! * values[k]! * vectors[j * d + k]!;
    back[i * d + j] = s;
  }
  assert.ok(maxAbsDiff(back, a) < 1e-9, `V diag V^T differs from A by ${maxAbsDiff(back, a)}`);
});

test('matrix square root: diagonal, a known 2x2, and random SPD', () => {
  assert.ok(maxAbsDiff(sqrtmPsd([4, 0, 0, 9], 2), [2, 0, 0, 3]) < 1e-12);
  // [[5, 4], [4, 5]] = [[2, 1], [1, 2]]^2
  assert.ok(maxAbsDiff(sqrtmPsd([5, 4, 4, 5], 2), [2, 1, 1, 2]) < 1e-12);
  // tiny negative eigenvalues from rounding are clamped, not NaN
  const r = sqrtmPsd([1, 1, 1, 1 - 1e-17], 2);
  assert.ok(r.every((v) => Number.isFinite(v)));
  const d = 20;
  const a = randomSpd(d, 2);
  const s = sqrtmPsd(a, d);
  const err = maxAbsDiff(matMul(s, s, d), a) / maxAbsDiff(a, new Float64Array(d * d));
  assert.ok(err < 1e-10, `sqrt(A)^2 relative error ${err}`);
  // tr sqrt(A A) = tr A for SPD A; tr sqrt(D1 D2) for diagonals
  const trA = Array.from({ length: d }, (_, i) => a[i * d + i]!).reduce((x, y) => x + y, 0);
  assert.ok(Math.abs(traceSqrtProduct(a, a, d) - trA) < 1e-8 * trA);
  assert.ok(Math.abs(traceSqrtProduct([1, 0, 0, 4], [9, 0, 0, 16], 2) - (3 + 8)) < 1e-12);
});

test('FID of a set against itself is 0; of shifted Gaussians is |shift|^2', () => {
  const n = 400;
  const d = 16;
  const x = gaussianCloud(n, d, 3);
  const s = featureStats(x, n, d);
  assert.ok(frechetDistance(s.mu, s.sigma, s.mu, s.sigma) < 1e-6);
  const shifted = x.map((v) => v + 0.5);
  const t = featureStats(shifted, n, d);
  assert.ok(Math.abs(frechetDistance(s.mu, s.sigma, t.mu, t.sigma) - d * 0.25) < 1e-6);
  // closed form for diagonal covariances: sum (sqrt(a) - sqrt(b))^2
  const fd = frechetDistance([0, 0], [1, 0, 0, 4], [0, 0], [4, 0, 0, 1]);
  assert.ok(Math.abs(fd - 2) < 1e-12, `got ${fd}`);
});

test('KID: near 0 for two samples of one distribution, larger for different ones', () => {
  const d = 8;
  const a = gaussianCloud(300, d, 4);
  const b = gaussianCloud(300, d, 5);
  const c = gaussianCloud(300, d, 6, 0.5);
  const same = kernelInceptionDistance(a, b, d, { subsets: 5, subsetSize: 100 });
  const diff = kernelInceptionDistance(a, c, d, { subsets: 5, subsetSize: 100 });
  assert.ok(Math.abs(same.mean) < 0.05, `same ${same.mean}`);
  assert.ok(diff.mean > 10 * Math.max(Math.abs(same.mean), 0.01), `diff ${diff.mean} vs same ${same.mean}`);
  assert.ok(diff.std >= 0);
  // deterministic for a seed
  assert.deepEqual(kernelInceptionDistance(a, c, d, { subsets: 3, subsetSize: 50, seed: 7 }), kernelInceptionDistance(a, c, d, { subsets: 3, subsetSize: 50, seed: 7 }));
});

test('KID subsets: at most half the generated samples, so the std measures the estimate and not rounding', () => {
  assert.equal(kidSubsetSize(10000, 10000), 500);
  assert.equal(kidSubsetSize(500, 10000), 250);
  assert.equal(kidSubsetSize(101, 10000), 51);
  assert.equal(kidSubsetSize(2000, 300), 300);
  const d = 8;
  const a = gaussianCloud(300, d, 4);
  const c = gaussianCloud(200, d, 6, 0.5);
  // every sample in every subset: each subset gives the same estimate
  assert.ok(kernelInceptionDistance(a.subarray(0, 200 * d), c, d, { subsets: 4, subsetSize: 200 }).std < 1e-9);
  const half = kernelInceptionDistance(a, c, d, { subsets: 4, subsetSize: kidSubsetSize(200, 300) });
  assert.ok(half.std > 1e-3 * Math.abs(half.mean), `std ${half.std}, mean ${half.mean}`);
});

test('Inception Score: 1 for one repeated prediction or one class, K for confident even predictions', () => {
  const classes = 10;
  const n = 100;
  const repeated = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) repeated[i * classes + c] = [0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02][c]!;
  assert.ok(Math.abs(inceptionScore(repeated, n, classes, 5).mean - 1) < 1e-9);
  const oneClass = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) oneClass[i * classes + 3] = 1;
  assert.ok(Math.abs(inceptionScore(oneClass, n, classes, 5).mean - 1) < 1e-9);
  const even = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) even[i * classes + (i % classes)] = 1;
  const is = inceptionScore(even, n, classes, 5);
  assert.ok(Math.abs(is.mean - classes) < 1e-6, `got ${is.mean}`);
});

test('precision/recall on point clouds with known overlap', () => {
  const d = 4;
  const real = gaussianCloud(300, d, 7);
  const same = precisionRecall(real, real, d, 3);
  assert.deepEqual(same, { precision: 1, recall: 1 });
  const fresh = precisionRecall(real, gaussianCloud(300, d, 8), d, 3);
  assert.ok(fresh.precision > 0.8 && fresh.recall > 0.8, JSON.stringify(fresh));
  const far = precisionRecall(real, gaussianCloud(300, d, 9, 100), d, 3);
  assert.deepEqual(far, { precision: 0, recall: 0 });
  // fakes packed near the centre of the real cloud: realistic but covering little
  const narrow = precisionRecall(real, gaussianCloud(300, d, 10, 0, 0.1), d, 3);
  assert.ok(narrow.precision > 0.9, `precision ${narrow.precision}`);
  assert.ok(narrow.recall < 0.3, `recall ${narrow.recall}`);
});

test('precision/recall: exact answers on a line (k = 1)', () => {
  // real 0..9: each ball has radius 1. fake balls: 0.5 and 1.5 radius 1, 10.5 and 12 radius 1.5.
  const real = Array.from({ length: 10 }, (_, i) => i);
  const fake = [0.5, 1.5, 10.5, 12];
  // precision: 0.5 and 1.5 are within 1 of a real point; 10.5 is 1.5 from 9; 12 is further
  // recall: 0, 1, 2 fall in the balls of 0.5 or 1.5; 9 in the ball of 10.5; 3..8 in none
  assert.deepEqual(precisionRecall(real, fake, 1, 1), { precision: 0.5, recall: 0.4 });
});

test('class coverage on crafted histograms', () => {
  const even = Array.from({ length: 1000 }, (_, i) => i % 10);
  const e = classCoverage(even, 10);
  assert.equal(e.classes, 10);
  assert.ok(Math.abs(e.kl) < 1e-12);
  const single = classCoverage(new Array(500).fill(4), 10);
  assert.equal(single.classes, 1);
  assert.ok(Math.abs(single.kl - Math.log(10)) < 1e-12);
  // classes 0..4 hold 19.6% each, class 5 holds 1.5% (under 2%), class 6 holds 0.5%
  const mixed = [...Array.from({ length: 980 }, (_, i) => i % 5), ...new Array(15).fill(5), ...new Array(5).fill(6)];
  const m = classCoverage(mixed, 10);
  assert.equal(m.classes, 5);
  const expectedKl = 5 * 0.196 * Math.log(1.96) + 0.015 * Math.log(0.15) + 0.005 * Math.log(0.05);
  assert.ok(Math.abs(m.kl - expectedKl) < 1e-9);
  assert.throws(() => classCoverage([10], 10), /outside/);
});
