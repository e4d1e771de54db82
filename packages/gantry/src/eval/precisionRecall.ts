/**
 * Improved precision and recall (Kynkäänniemi et al. 2019). Each set's manifold is the
 * union of balls around its points, each ball's radius the distance to that point's k-th
 * nearest neighbour within the same set.
 *   precision: the fraction of fake points inside the real manifold (are samples realistic?)
 *   recall:    the fraction of real points inside the fake manifold (is the data covered?)
 * Works on any vectors: classifier features, or raw pixels for data with no feature network.
 */
export interface PrecisionRecall {
  precision: number;
  recall: number;
}

export function precisionRecall(real: ArrayLike<number>, fake: ArrayLike<number>, d: number, k = 3): PrecisionRecall {
  const nR = real.length / d;
  const nF = fake.length / d;
  if (!Number.isInteger(nR) || !Number.isInteger(nF)) throw new Error(`precisionRecall: arrays are not multiples of d = ${d}`);
  if (nR <= k || nF <= k) throw new Error(`precisionRecall: each set needs more than k = ${k} points (got ${nR} real, ${nF} fake)`);
  const r = Float64Array.from(real);
  const f = Float64Array.from(fake);
  const normsR = squaredNorms(r, nR, d);
  const normsF = squaredNorms(f, nF, d);
  const radiiR = kthNeighbourRadii(r, normsR, nR, d, k);
  const radiiF = kthNeighbourRadii(f, normsF, nF, d, k);
  return {
    precision: fractionInside(f, normsF, nF, r, normsR, radiiR, nR, d),
    recall: fractionInside(r, normsR, nR, f, normsF, radiiF, nF, d),
  };
}

function squaredNorms(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! * x[i * d + k]!;
    out[i] = s;
  }
  return out;
}

function squaredDistance(a: Float64Array, i: number, na: Float64Array, b: Float64Array, j: number, nb: Float64Array, d: number): number {
  let dot = 0;
  for (let k = 0; k < d; k++) dot += a[i * d + k]! * b[j * d + k]!;
  return Math.max(na[i]! + nb[j]! - 2 * dot, 0);
}

/** Squared distance from each point to its k-th nearest other point in the same set. */
function kthNeighbourRadii(x: Float64Array, norms: Float64Array, n: number, d: number, k: number): Float64Array {
  const radii = new Float64Array(n);
  const best = new Float64Array(k); // the k smallest distances so far, ascending
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dist = squaredDistance(x, i, norms, x, j, norms, d);
      if (dist >= best[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && best[p - 1]! > dist) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = dist;
    }
    radii[i] = best[k - 1]!;
  }
  return radii;
}

/** Fraction of the query points within some ball (centre, radius) of the manifold set. */
function fractionInside(
  q: Float64Array, qNorms: Float64Array, nQ: number,
  m: Float64Array, mNorms: Float64Array, radii: Float64Array, nM: number, d: number,
): number {
  let inside = 0;
  for (let i = 0; i < nQ; i++) {
    for (let j = 0; j < nM; j++) {
      if (squaredDistance(q, i, qNorms, m, j, mNorms, d) <= radii[j]!) {
        inside++;
        break;
      }
    }
  }
  return inside / nQ;
}
