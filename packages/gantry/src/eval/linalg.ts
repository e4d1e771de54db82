/**
 * Small dense linear algebra in Float64 for the evaluation metrics: symmetric eigen-
 * decomposition (cyclic Jacobi) and what follows from it. Matrices are row-major d x d.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as columns of a row-major d x d matrix: column j belongs to values[j]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations. Jacobi is slow for
 * large d (O(d^3) per sweep) but unconditionally stable and accurate to working precision,
 * which is what a trace of a matrix square root needs; feature dimensions here are ~128.
 * Only the upper triangle's symmetric part is used.
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number, maxSweeps = 60): SymmetricEigen {
  if (matrix.length !== d * d) throw new Error(`symmetricEigen: expected ${d * d} values for a ${d}x${d} matrix, got ${matrix.length}`);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) a[i * d + j] = 0.5 * (matrix[i * d + j]! + matrix[j * d + i]!);
  }
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;

  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i]! * a[i]!;
  const tiny = 1e-30 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! * a[p * d + q]!;
    if (off <= tiny) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (apq === 0) continue;
        const app = a[p * d + p]!;
        const aqq = a[q * d + q]!;
        // rotation angle that zeroes a[p][q] (Golub & Van Loan, sym.schur2)
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          // A <- A J (columns p, q)
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          // A <- J^T A (rows p, q)
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[i * d + i]! - a[j * d + j]!);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((src, dst) => {
    values[dst] = a[src * d + src]!;
    for (let k = 0; k < d; k++) vectors[k * d + dst] = v[k * d + src]!;
  });
  return { values, vectors };
}

/**
 * Clamp for eigenvalues of a matrix known to be positive semi-definite: rounding leaves
 * values like -1e-17 that must not become NaN under a square root.
 */
function clampPsd(x: number): number {
  return x > 0 ? x : 0;
}

/** V diag(f(values)) V^T. */
function spectralMap(e: SymmetricEigen, d: number, f: (x: number) => number): Float64Array {
  const fv = e.values.map(f);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += e.vectors[i * d + k]! * fv[k]! * e.vectors[j * d + k]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/** The principal square root of a symmetric positive semi-definite matrix. */
export function sqrtmPsd(matrix: ArrayLike<number>, d: number): Float64Array {
  return spectralMap(symmetricEigen(matrix, d), d, (x) => Math.sqrt(clampPsd(x)));
}

/** C = A B for row-major d x d matrices. */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j]!;
    }
  }
  return out;
}

/**
 * tr sqrt(S1 S2) for symmetric PSD S1, S2, computed soundly: S1 S2 is not symmetric, but it
 * is similar to the symmetric PSD matrix M = S1^1/2 S2 S1^1/2, whose eigenvalues are real and
 * non-negative; tr sqrt(S1 S2) = sum of sqrt(eig(M)).
 */
export function traceSqrtProduct(s1: ArrayLike<number>, s2: ArrayLike<number>, d: number): number {
  const r = sqrtmPsd(s1, d);
  const m = matMul(matMul(r, s2, d), r, d);
  const { values } = symmetricEigen(m, d);
  let t = 0;
  for (const x of values) t += Math.sqrt(clampPsd(x));
  return t;
}
