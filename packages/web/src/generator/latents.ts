/** Latent vectors: seeded standard normal draws and the spherical path between two of them. */

/** mulberry32: a small, fast 32-bit generator; the same seed gives the same latents in every browser. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` latents of `dim` values from N(0, 1) (Box-Muller), float32 [count * dim], from `seed`. */
export function normalLatents(count: number, dim: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = Math.max(next(), 1e-12);
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * Spherical interpolation from `a` (t = 0) to `b` (t = 1). Gaussian latents live near a sphere;
 * the straight line between two of them passes through the low-norm middle, which G rarely saw.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = Math.min(1, Math.max(-1, dot / (Math.sqrt(na * nb) || 1)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
    return out;
  }
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s;
  const wb = Math.sin(t * omega) / s;
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return out;
}
