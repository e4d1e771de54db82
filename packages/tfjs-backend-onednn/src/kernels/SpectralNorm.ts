import * as tf from '@tensorflow/tfjs';

import { SpectralNorm, SpectralNormGrad } from './custom_kernel_names.js';
import { customKernel } from './kernel_utils.js';

// One power iteration of spectral normalisation and the normalised matrix, in one kernel
// (as TF.js ops it is about 20 small kernels forward and as many backward, for every layer
// on every pass; their per-call cost outside the arithmetic was a tenth of a residual GAN's
// step). Sums run in double.
//   inputs {w [m, n], u [1, n]} -> [w / sigma, uNext [1, n], sigma [], v [1, m]]
//   v = normalize(u w^T), uNext = normalize(v w), sigma = v w uNext^T
// u, v and uNext are constants to the gradient.

const EPSILON = 1e-12; // under the square root, as the reference's l2 normalisation

function normalize(x: Float64Array, out: Float32Array): void {
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(Math.max(sq, EPSILON));
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv;
}

export const spectralNormConfig = customKernel(SpectralNorm, ({ inputs, backend }) => {
  const w = inputs.w!;
  const [m, n] = w.shape as [number, number];
  const W = backend.f32(w);
  const u = backend.f32(inputs.u!);
  const t = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let acc = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) acc += W[row + j]! * u[j]!;
    t[i] = acc;
  }
  const v = backend.output([1, m]);
  normalize(t, v.values);
  const s = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const vi = v.values[i]!;
    const row = i * n;
    for (let j = 0; j < n; j++) s[j] += vi * W[row + j]!;
  }
  const uNext = backend.output([1, n]);
  normalize(s, uNext.values);
  let sigma = 0;
  for (let j = 0; j < n; j++) sigma += s[j]! * uNext.values[j]!;
  const sigmaOut = backend.output([]);
  sigmaOut.values[0] = sigma;
  const f = Math.fround(sigma);
  const wn = backend.output([m, n]);
  for (let k = 0; k < m * n; k++) wn.values[k] = W[k]! / f;
  return [wn.info, uNext.info, sigmaOut.info, v.info];
});

// dw = dwn / sigma + (dsigma - <dwn, w> / sigma^2) * v^T uNext
export const spectralNormGradConfig = customKernel(SpectralNormGrad, ({ inputs, backend }) => {
  const w = inputs.w!;
  const [m, n] = w.shape as [number, number];
  const W = backend.f32(w);
  const dwn = backend.f32(inputs.dwn!);
  const v = backend.f32(inputs.v!);
  const u = backend.f32(inputs.uNext!);
  const sigma = backend.f32(inputs.sigma!)[0]!;
  const dsigma = backend.f32(inputs.dsigma!)[0]!;
  let dot = 0;
  for (let k = 0; k < m * n; k++) dot += dwn[k]! * W[k]!;
  const coef = dsigma - dot / (sigma * sigma);
  const inv = 1 / sigma;
  const dw = backend.output([m, n]);
  for (let i = 0; i < m; i++) {
    const cv = coef * v[i]!;
    const row = i * n;
    for (let j = 0; j < n; j++) dw.values[row + j] = dwn[row + j]! * inv + cv * u[j]!;
  }
  return dw.info;
});

export const spectralNormGradient: tf.GradConfig = {
  kernelName: SpectralNorm,
  inputsToSave: ['w'],
  outputsToSave: [false, true, true, true],
  gradFunc: (dys, saved) => {
    const [dwn, , dsigma] = dys as tf.Tensor[];
    const [w, uNext, sigma, v] = saved as tf.Tensor[];
    return {
      w: () => tf.engine().runKernel(SpectralNormGrad, { dwn: dwn!, w: w!, v: v!, uNext: uNext!, sigma: sigma!, dsigma: dsigma! }) as tf.Tensor,
      u: () => tf.zerosLike(uNext!),
    };
  },
};
