// The few-channel kernels (fewconv.h), written once and compiled once per CPU tier
// (binding.gyp builds this file for AVX-512, AVX2+FMA and generic CPUs; simd.h names the
// tier's namespace and vector). fewconv.cc chooses the tier and calls them.
#include "fewconv_kernels.h"

#include <algorithm>
#include <cstring>

#include "simd.h"

namespace onednn_addon::GANTRY_TIER_NAMESPACE {
namespace {

// p[0..n) = 0 (memset, not std::fill: see simd.h on templates compiled with a tier's flags)
inline void Zero(float* p, int64_t n) { std::memset(p, 0, static_cast<size_t>(n) * sizeof(float)); }

// The activation codes of activation.h (ActivationCode: 0 none, 1 relu, 3 leaky relu), written
// out: this file is compiled with a tier's flags and includes no inline code shared with the
// rest of the addon (see simd.h). Written as the cpu backend's kernels are, so that NaN stays NaN.
inline V Activate(V v, int act, float alpha) {
  if (act == 1) return Relu(v);
  if (act == 3) return LeakyRelu(v, alpha);
  return v;
}
inline float Activate(float v, int act, float alpha) {
  if (act == 1) return v < 0 ? 0.f : v;
  if (act == 3) return v < 0 ? v * alpha : v;
  return v;
}

// Two kinds of kernels follow. The "Regs" ones, for the kernel shapes of the presets' image
// layers, hold a filter or its gradient in registers and go pixel by pixel (the CPU overlaps
// neighbouring pixels' sums). The block ones work on P neighbouring output columns at once,
// so that P times the vectors per column are independent sums in flight (a single chain of
// fused multiply-adds waits on each one's latency). A tap that falls into the padding adds
// zero (block kernels) or is skipped.

// Forward, c <= 4: each output column's NV vectors of output channels, summed over the taps
// and the few input channels.
template <int NV, int P, bool Inside>
inline void ForwardFewInBlock(const ConvGeometry& g, const float* xn, const float* w, const float* b, float* out,
                              int64_t oh, int64_t ow0, int act, float alpha) {
  const int64_t c = g.c, oc = g.oc, step = g.sw * c;
  V acc[P][NV];
  for (int k = 0; k < P; ++k) {
    for (int v = 0; v < NV; ++v) acc[k][v] = b ? Load(b + 16 * v) : V{};
  }
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = oh * g.sh - g.pt + i * g.dh;
    if (ih < 0 || ih >= g.h) continue;
    const float* xr = xn + ih * g.w * c;
    if (Inside && g.dw == 1) {
      // a kernel row's taps and channels are side by side in x and in the filter
      const float* xp = xr + (ow0 * g.sw - g.pl) * c;
      const float* wp = w + i * g.kw * c * oc;
      for (int64_t jc = 0; jc < g.kw * c; ++jc, wp += oc) {
        V wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = Load(wp + 16 * v);
        for (int k = 0; k < P; ++k) {
          V s = Splat(xp[k * step + jc]);
          for (int v = 0; v < NV; ++v) acc[k][v] += s * wv[v];
        }
      }
      continue;
    }
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t iw0 = ow0 * g.sw - g.pl + j * g.dw;
      const float* wp = w + (i * g.kw + j) * c * oc;
      for (int64_t ci = 0; ci < c; ++ci, wp += oc) {
        V wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = Load(wp + 16 * v);
        for (int k = 0; k < P; ++k) {
          const int64_t iw = iw0 + k * g.sw;
          V s = Splat(iw >= 0 && iw < g.w ? xr[iw * c + ci] : 0.f);
          for (int v = 0; v < NV; ++v) acc[k][v] += s * wv[v];
        }
      }
    }
  }
  for (int k = 0; k < P; ++k) {
    for (int v = 0; v < NV; ++v) Store(out + k * oc + 16 * v, Activate(acc[k][v], act, alpha));
  }
}

// The output columns [lo, hi) whose every tap reads inside the row.
inline void InsideColumns(const ConvGeometry& g, int64_t& lo, int64_t& hi) {
  lo = (g.pl + g.sw - 1) / g.sw;
  int64_t last = g.w - 1 + g.pl - (g.kw - 1) * g.dw;  // ow * sw <= last
  hi = last < 0 ? 0 : std::min(g.ow, last / g.sw + 1);
  lo = std::min(lo, g.ow);
  if (hi < lo) hi = lo;
}

// The output rows [rowLo, rowHi) and columns [colLo, colHi) whose every tap reads inside.
inline void InsideRowsAndColumns(const ConvGeometry& g, int64_t& rowLo, int64_t& rowHi, int64_t& colLo,
                                 int64_t& colHi) {
  ConvGeometry t = g;
  std::swap(t.w, t.h);
  std::swap(t.ow, t.oh);
  std::swap(t.sw, t.sh);
  std::swap(t.pl, t.pt);
  std::swap(t.kw, t.kh);
  std::swap(t.dw, t.dh);
  InsideColumns(t, rowLo, rowHi);
  InsideColumns(g, colLo, colHi);
}

// Calls block<P, inside>(ow) over a row: single edge columns, then the inside ones P at a time.
template <int P, typename Block>
inline void OverRow(const ConvGeometry& g, Block block) {
  int64_t lo, hi;
  InsideColumns(g, lo, hi);
  int64_t ow = 0;
  for (; ow < lo; ++ow) block.template operator()<1, false>(ow);
  for (; ow + P <= hi; ow += P) block.template operator()<P, true>(ow);
  for (; ow < hi; ++ow) block.template operator()<1, true>(ow);
  for (; ow < g.ow; ++ow) block.template operator()<1, false>(ow);
}

template <int NV>
void ForwardFewIn(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y, int act,
                  float alpha, int64_t n0, int64_t n1) {
  constexpr int P = NV >= kSums ? 1 : kSums / NV;
  for (int64_t n = n0; n < n1; ++n) {
    const float* xn = x + n * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      float* row = y + ((n * g.oh + oh) * g.ow) * g.oc;
      OverRow<P>(g, [&]<int Q, bool Inside>(int64_t ow) {
        ForwardFewInBlock<NV, Q, Inside>(g, xn, w, b, row + ow * g.oc, oh, ow, act, alpha);
      });
    }
  }
}

// Calls f(t, value) for each (tap, input channel) t = (i * KW + j) * C + ci of the output
// pixel whose window starts at input row ih0 and column iw0; value is 0 outside the image.
template <int KH, int KW, int C, typename F>
__attribute__((always_inline)) inline void ForEachTap(const ConvGeometry& g, const float* xn, int64_t ih0,
                                                      int64_t iw0, bool inside, F&& f) {
  if (inside) {
    const float* xp = xn + (ih0 * g.w + iw0) * C;
#pragma GCC unroll 8
    for (int i = 0; i < KH; ++i) {
      const float* r = xp + i * g.dh * g.w * C;
#pragma GCC unroll 32
      for (int jc = 0; jc < KW * C; ++jc) f(i * KW * C + jc, r[jc]);
    }
    return;
  }
#pragma GCC unroll 8
  for (int i = 0; i < KH; ++i) {
    const int64_t ih = ih0 + i * g.dh;
    const bool rowOk = ih >= 0 && ih < g.h;
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j) {
      const int64_t iw = iw0 + j;
      const bool ok = rowOk && iw >= 0 && iw < g.w;
#pragma GCC unroll 4
      for (int ci = 0; ci < C; ++ci) f((i * KW + j) * C + ci, ok ? xn[(ih * g.w + iw) * C + ci] : 0.f);
    }
  }
}

// Forward, c <= 4, for a kernel shape known at compile time: one 16-channel slice of the
// output channels at a time, its filter rows (KH * KW * C vectors, at most 27) held in
// registers, and each output pixel one multiply-add per tap from a broadcast of x.
template <int KH, int KW, int C>
void ForwardFewInRegs(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y, int act,
                      float alpha, int64_t n0, int64_t n1) {
  constexpr int TC = KH * KW * C;
  const int64_t oc = g.oc;
  int64_t rowLo, rowHi, colLo, colHi;
  InsideRowsAndColumns(g, rowLo, rowHi, colLo, colHi);
  for (int64_t v = 0; v < oc / 16; ++v) {
    V wr[TC];
#pragma GCC unroll 32
    for (int t = 0; t < TC; ++t) wr[t] = Load(w + t * oc + 16 * v);
    const V bias = b ? Load(b + 16 * v) : V{};
    for (int64_t n = n0; n < n1; ++n) {
      const float* xn = x + n * g.h * g.w * C;
      float* out = y + n * g.oh * g.ow * oc + 16 * v;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const bool rowInside = oh >= rowLo && oh < rowHi;
        const int64_t ih0 = oh * g.sh - g.pt;
        for (int64_t ow = 0; ow < g.ow; ++ow, out += oc) {
          const int64_t iw0 = ow * g.sw - g.pl;
          V acc = bias;
          ForEachTap<KH, KW, C>(g, xn, ih0, iw0, rowInside && ow >= colLo && ow < colHi,
                                [&](int t, float v) { acc += Splat(v) * wr[t]; });
          Store(out, Activate(acc, act, alpha));
        }
      }
    }
  }
}

// Forward, oc <= 4: per output channel, a vector over the input channels summed over the
// taps, then across its lanes. wt is the filter as [tap][oc][c].
template <int OC, int CV, int P, bool Inside>
inline void ForwardFewOutBlock(const ConvGeometry& g, const float* xn, const float* wt, const float* b, float* out,
                               int64_t oh, int64_t ow0, int act, float alpha) {
  const int64_t c = g.c;
  V acc[P][OC][CV] = {};
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = oh * g.sh - g.pt + i * g.dh;
    if (ih < 0 || ih >= g.h) continue;
    const float* xr = xn + ih * g.w * c;
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t iw0 = ow0 * g.sw - g.pl + j * g.dw;
      const float* wp = wt + (i * g.kw + j) * OC * c;
      for (int k = 0; k < P; ++k) {
        const int64_t iw = iw0 + k * g.sw;
        if (!Inside && (iw < 0 || iw >= g.w)) continue;
        const float* xp = xr + iw * c;
        for (int v = 0; v < CV; ++v) {
          V xv = Load(xp + 16 * v);
          for (int o = 0; o < OC; ++o) acc[k][o][v] += xv * Load(wp + o * c + 16 * v);
        }
      }
    }
  }
  for (int k = 0; k < P; ++k) {
    for (int o = 0; o < OC; ++o) {
      V s = acc[k][o][0];
      for (int v = 1; v < CV; ++v) s += acc[k][o][v];
      out[k * OC + o] = Activate(HSum(s) + (b ? b[o] : 0.f), act, alpha);
    }
  }
}

template <int OC, int CV>
void ForwardFewOut(const ConvGeometry& g, const float* x, const float* wt, const float* b, float* y, int act,
                   float alpha, int64_t n0, int64_t n1) {
  constexpr int P = OC * CV >= kSums / 2 ? 1 : kSums / 2 / (OC * CV);
  for (int64_t n = n0; n < n1; ++n) {
    const float* xn = x + n * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      float* row = y + ((n * g.oh + oh) * g.ow) * OC;
      OverRow<P>(g, [&]<int Q, bool Inside>(int64_t ow) {
        ForwardFewOutBlock<OC, CV, Q, Inside>(g, xn, wt, b, row + ow * OC, oh, ow, act, alpha);
      });
    }
  }
}

// Forward, oc <= 4 and 16 input channels, for a kernel shape known at compile time: the
// filter (KH * KW * OC vectors over the input channels, at most 27) held in registers, one
// load of x per tap, and a sum across lanes per output. wt is the filter as [tap][oc][16].
template <int KH, int KW, int OC>
void ForwardFewOutRegs(const ConvGeometry& g, const float* x, const float* wt, const float* b, float* y, int act,
                       float alpha, int64_t n0, int64_t n1) {
  constexpr int T = KH * KW;
  V wr[T][OC];
#pragma GCC unroll 32
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int o = 0; o < OC; ++o) wr[t][o] = Load(wt + (t * OC + o) * 16);
  }
  int64_t rowLo, rowHi, colLo, colHi;
  InsideRowsAndColumns(g, rowLo, rowHi, colLo, colHi);
  for (int64_t n = n0; n < n1; ++n) {
    const float* xn = x + n * g.h * g.w * 16;
    float* out = y + n * g.oh * g.ow * OC;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const bool rowInside = oh >= rowLo && oh < rowHi;
      const int64_t ih0 = oh * g.sh - g.pt;
      for (int64_t ow = 0; ow < g.ow; ++ow, out += OC) {
        const int64_t iw0 = ow * g.sw - g.pl;
        V acc[OC] = {};
        if (rowInside && ow >= colLo && ow < colHi) {
          const float* xp = xn + (ih0 * g.w + iw0) * 16;
#pragma GCC unroll 8
          for (int i = 0; i < KH; ++i) {
#pragma GCC unroll 8
            for (int j = 0; j < KW; ++j) {
              const V xv = Load(xp + (i * g.dh * g.w + j * g.dw) * 16);
#pragma GCC unroll 4
              for (int o = 0; o < OC; ++o) acc[o] += xv * wr[i * KW + j][o];
            }
          }
        } else {
#pragma GCC unroll 8
          for (int i = 0; i < KH; ++i) {
            const int64_t ih = ih0 + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
#pragma GCC unroll 8
            for (int j = 0; j < KW; ++j) {
              const int64_t iw = iw0 + j * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              const V xv = Load(xn + (ih * g.w + iw) * 16);
#pragma GCC unroll 4
              for (int o = 0; o < OC; ++o) acc[o] += xv * wr[i * KW + j][o];
            }
          }
        }
#pragma GCC unroll 4
        for (int o = 0; o < OC; ++o) out[o] = Activate(HSum(acc[o]) + (b ? b[o] : 0.f), act, alpha);
      }
    }
  }
}

#if defined(__AVX512F__)
// Lanes [first, first + 16) of TV vectors laid end to end (zeros past the end).
template <int TV>
inline V LanesFrom(const V (&acc)[TV], int64_t first) {
  const int64_t q = first / 16, r = first % 16;
  if (r == 0) return acc[q];
  const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(r)),
                                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const V next = q + 1 < TV ? acc[q + 1] : V{};
  return (V)_mm512_permutex2var_ps((__m512)acc[q], index, (__m512)next);
}
#endif

// Backward data, c <= 4: for a block of P output columns, the products of dy with every
// (tap, input channel) column of the filter (TV vectors of them; wt is the filter as
// [oc][TV * 16], zero-padded), then each product added to the input pixel its tap reads.
// A kernel row's taps land side by side in dx (kw * c floats) when the filter is not
// dilated across; on AVX-512 they are then added as one masked vector.
template <int TV, int P>
inline void BackwardDataBlock(const ConvGeometry& g, const float* dyp, const float* wt, float* dxn, int64_t oh,
                              int64_t ow0) {
  const int64_t c = g.c, oc = g.oc, span = g.kw * c;
  V acc[P][TV] = {};
  for (int64_t o = 0; o < oc; ++o) {
    V wv[TV];
    for (int v = 0; v < TV; ++v) wv[v] = Load(wt + (o * TV + v) * 16);
    for (int k = 0; k < P; ++k) {
      V s = Splat(dyp[k * oc + o]);
      for (int v = 0; v < TV; ++v) acc[k][v] += s * wv[v];
    }
  }
  const bool rows = kMaskedStores && g.dw == 1 && span <= 16;
  for (int k = 0; k < P; ++k) {
    const int64_t ow = ow0 + k, iw0 = ow * g.sw - g.pl;
    float taps[TV * 16];
    if (!rows) {
      for (int v = 0; v < TV; ++v) Store(taps + 16 * v, acc[k][v]);
    }
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh;
      if (ih < 0 || ih >= g.h) continue;
#if defined(__AVX512F__)
      if (rows) {
        const int64_t jLo = std::max<int64_t>(0, -iw0), jHi = std::min<int64_t>(g.kw, g.w - iw0);
        if (jLo >= jHi) continue;
        const __mmask16 mask = static_cast<__mmask16>((1u << ((jHi - jLo) * c)) - 1u);
        float* dst = dxn + (ih * g.w + iw0 + jLo) * c;
        const V add = LanesFrom<TV>(acc[k], i * span + jLo * c);
        _mm512_mask_storeu_ps(dst, mask, (__m512)((V)_mm512_maskz_loadu_ps(mask, dst) + add));
        continue;
      }
#endif
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t iw = iw0 + j * g.dw;
        if (iw < 0 || iw >= g.w) continue;
        float* dst = dxn + (ih * g.w + iw) * c;
        const float* src = taps + (i * g.kw + j) * c;
        for (int64_t ci = 0; ci < c; ++ci) dst[ci] += src[ci];
      }
    }
  }
}

// The last r < P columns of a row as one block of r. One at a time, each column's sums form
// a single chain of multiply-adds that waits on each one's latency: dcgan-mnist's rows of 14
// columns spent about 60% of their products' time on the last 6 that way. The additions into
// dx keep their order, so the results are the same.
template <int TV, int R>
inline void BackwardDataRest(int64_t r, const ConvGeometry& g, const float* dyp, const float* wt, float* dxn,
                             int64_t oh, int64_t ow0) {
  if constexpr (R >= 1) {
    if (r == R) return BackwardDataBlock<TV, R>(g, dyp, wt, dxn, oh, ow0);
    BackwardDataRest<TV, R - 1>(r, g, dyp, wt, dxn, oh, ow0);
  }
}

template <int TV>
void BackwardDataFewIn(const ConvGeometry& g, const float* dy, const float* wt, float* dx, int64_t n0, int64_t n1) {
  // AVX-512: 8 columns of one or two vectors, 4 of three or four (measured); elsewhere as many
  // as the tier's sums allow
  constexpr int P = kSums >= 16 ? (TV <= 2 ? 8 : 4) : (TV >= kSums ? 1 : kSums / TV);
  Zero(dx + n0 * g.h * g.w * g.c, (n1 - n0) * g.h * g.w * g.c);
  for (int64_t n = n0; n < n1; ++n) {
    float* dxn = dx + n * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const float* row = dy + ((n * g.oh + oh) * g.ow) * g.oc;
      int64_t ow = 0;
      for (; ow + P <= g.ow; ow += P) BackwardDataBlock<TV, P>(g, row + ow * g.oc, wt, dxn, oh, ow);
      if (ow < g.ow) BackwardDataRest<TV, P - 1>(g.ow - ow, g, row + ow * g.oc, wt, dxn, oh, ow);
    }
  }
}

// Backward filter, c <= 4, for a kernel shape known at compile time: one 16-channel slice
// of the output channels at a time, every (tap, input channel) sum of that slice held in a
// register for a whole image (KH * KW * C of them, at most 27), so that each output pixel
// costs one load of dy and one multiply-add per tap from a broadcast of x.
template <int KH, int KW, int C>
void BackwardFilterFewInRegs(const ConvGeometry& g, const float* x, const float* dy, float* part, int64_t n0,
                             int64_t n1) {
  constexpr int TC = KH * KW * C;
  const int64_t oc = g.oc;
  Zero(part, TC * oc);
  int64_t rowLo, rowHi, colLo, colHi;
  InsideRowsAndColumns(g, rowLo, rowHi, colLo, colHi);
  for (int64_t v = 0; v < oc / 16; ++v) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* xn = x + n * g.h * g.w * C;
      const float* d = dy + n * g.oh * g.ow * oc + 16 * v;
      V acc[TC];
#pragma GCC unroll 32
      for (int t = 0; t < TC; ++t) acc[t] = V{};
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const bool rowInside = oh >= rowLo && oh < rowHi;
        for (int64_t ow = 0; ow < g.ow; ++ow, d += oc) {
          const V dv = Load(d);
          ForEachTap<KH, KW, C>(g, xn, oh * g.sh - g.pt, ow * g.sw - g.pl, rowInside && ow >= colLo && ow < colHi,
                                [&](int t, float v) { acc[t] += Splat(v) * dv; });
        }
      }
      float* p = part + 16 * v;
#pragma GCC unroll 32
      for (int t = 0; t < TC; ++t) Store(p + t * oc, Load(p + t * oc) + acc[t]);
    }
  }
}

// Backward filter, oc <= 4: part[(tap * OC + o) * c + ci], a vector over the input
// channels per (tap, output channel); columns spread over P accumulators as above.
template <int OC, int CV>
void BackwardFilterFewOut(const ConvGeometry& g, const float* x, const float* dy, float* part, int64_t n0,
                          int64_t n1) {
  constexpr int P = OC * CV >= kSums / 2 ? 1 : kSums / 2 / (OC * CV);
  const int64_t c = g.c;
  Zero(part, g.kh * g.kw * c * OC);
  for (int64_t n = n0; n < n1; ++n) {
    const float* xn = x + n * g.h * g.w * c;
    const float* dyn = dy + n * g.oh * g.ow * OC;
    for (int64_t i = 0; i < g.kh; ++i) {
      int64_t ohLo, ohHi;
      TapRange(g.oh, g.h, g.sh, g.pt, i * g.dh, ohLo, ohHi);
      for (int64_t j = 0; j < g.kw; ++j) {
        int64_t owLo, owHi;
        TapRange(g.ow, g.w, g.sw, g.pl, j * g.dw, owLo, owHi);
        V acc[P][OC][CV] = {};
        for (int64_t oh = ohLo; oh < ohHi; ++oh) {
          const float* xr = xn + (oh * g.sh - g.pt + i * g.dh) * g.w * c + (j * g.dw - g.pl) * c;
          const float* dr = dyn + oh * g.ow * OC;
          const int64_t step = g.sw * c;
          auto column = [&](int k, int64_t ow) {
            for (int v = 0; v < CV; ++v) {
              V xv = Load(xr + ow * step + 16 * v);
              for (int o = 0; o < OC; ++o) acc[k][o][v] += Splat(dr[ow * OC + o]) * xv;
            }
          };
          int64_t ow = owLo;
          for (; ow + P <= owHi; ow += P) {
            for (int k = 0; k < P; ++k) column(k, ow + k);
          }
          for (; ow < owHi; ++ow) column(0, ow);
        }
        float* p = part + (i * g.kw + j) * OC * c;
        for (int o = 0; o < OC; ++o) {
          for (int v = 0; v < CV; ++v) {
            V sum = acc[0][o][v];
            for (int k = 1; k < P; ++k) sum += acc[k][o][v];
            Store(p + o * c + 16 * v, Load(p + o * c + 16 * v) + sum);
          }
        }
      }
    }
  }
}


// The instances for runtime counts (callers keep to the ranges in fewconv_kernels.h).
FewForwardFn ForwardFewInFor(int64_t vectors) {
  switch (vectors) {
    case 1: return ForwardFewIn<1>;
    case 2: return ForwardFewIn<2>;
    case 3: return ForwardFewIn<3>;
    case 4: return ForwardFewIn<4>;
    case 5: return ForwardFewIn<5>;
    case 6: return ForwardFewIn<6>;
    case 7: return ForwardFewIn<7>;
    default: return ForwardFewIn<8>;
  }
}

FewBackwardDataFn BackwardDataFewInFor(int64_t tapVectors) {
  switch (tapVectors) {
    case 1: return BackwardDataFewIn<1>;
    case 2: return BackwardDataFewIn<2>;
    case 3: return BackwardDataFewIn<3>;
    default: return BackwardDataFewIn<4>;
  }
}

template <int OC>
FewForwardFn ForwardFewOutFor(int64_t vectors) {
  switch (vectors) {
    case 1: return ForwardFewOut<OC, 1>;
    case 2: return ForwardFewOut<OC, 2>;
    case 3: return ForwardFewOut<OC, 3>;
    default: return ForwardFewOut<OC, 4>;
  }
}

FewForwardFn ForwardFewOutFor(int64_t oc, int64_t vectors) {
  switch (oc) {
    case 1: return ForwardFewOutFor<1>(vectors);
    case 2: return ForwardFewOutFor<2>(vectors);
    case 3: return ForwardFewOutFor<3>(vectors);
    default: return ForwardFewOutFor<4>(vectors);
  }
}

template <int OC>
FewBackwardFilterFn BackwardFilterFewOutFor(int64_t vectors) {
  switch (vectors) {
    case 1: return BackwardFilterFewOut<OC, 1>;
    case 2: return BackwardFilterFewOut<OC, 2>;
    case 3: return BackwardFilterFewOut<OC, 3>;
    default: return BackwardFilterFewOut<OC, 4>;
  }
}

FewBackwardFilterFn BackwardFilterFewOutFor(int64_t oc, int64_t vectors) {
  switch (oc) {
    case 1: return BackwardFilterFewOutFor<1>(vectors);
    case 2: return BackwardFilterFewOutFor<2>(vectors);
    case 3: return BackwardFilterFewOutFor<3>(vectors);
    default: return BackwardFilterFewOutFor<4>(vectors);
  }
}

// The instance of K for the kernel shapes of image layers (1, 3, 4 or 5 square with 1 or 3
// channels; 1x1 with 1 to 3), or null.
template <typename Kernel, template <int, int, int> class K>
Kernel PresetKernel(const ConvGeometry& g) {
  if (g.kh != g.kw) return nullptr;
  switch (g.kh * 10 + g.c) {
    case 11: return K<1, 1, 1>::kernel;
    case 12: return K<1, 1, 2>::kernel;
    case 13: return K<1, 1, 3>::kernel;
    case 31: return K<3, 3, 1>::kernel;
    case 33: return K<3, 3, 3>::kernel;
    case 41: return K<4, 4, 1>::kernel;
    case 51: return K<5, 5, 1>::kernel;
    default: return nullptr;
  }
}

template <int KH, int KW, int C>
struct ForwardFewInRegsK {
  static constexpr FewForwardFn kernel = ForwardFewInRegs<KH, KW, C>;
};
template <int KH, int KW, int C>
struct BackwardFilterFewInRegsK {
  static constexpr FewBackwardFilterFn kernel = BackwardFilterFewInRegs<KH, KW, C>;
};

FewForwardFn ForwardFewInRegsFor(const ConvGeometry& g) { return PresetKernel<FewForwardFn, ForwardFewInRegsK>(g); }

FewBackwardFilterFn BackwardFilterFewInRegsFor(const ConvGeometry& g) {
  return PresetKernel<FewBackwardFilterFn, BackwardFilterFewInRegsK>(g);
}

// ForwardFewOutRegs for 16 input channels and a filter of at most 27 vectors, or null.
FewForwardFn ForwardFewOutRegsFor(const ConvGeometry& g) {
  if (g.c != 16 || g.kh != g.kw) return nullptr;
  switch (g.kh * 10 + g.oc) {
    case 11: return ForwardFewOutRegs<1, 1, 1>;
    case 12: return ForwardFewOutRegs<1, 1, 2>;
    case 13: return ForwardFewOutRegs<1, 1, 3>;
    case 31: return ForwardFewOutRegs<3, 3, 1>;
    case 32: return ForwardFewOutRegs<3, 3, 2>;
    case 33: return ForwardFewOutRegs<3, 3, 3>;
    case 41: return ForwardFewOutRegs<4, 4, 1>;
    case 51: return ForwardFewOutRegs<5, 5, 1>;
    default: return nullptr;
  }
}

}  // namespace

extern const FewChannelKernels kFewChannelKernels = {
    ForwardFewInRegsFor,  ForwardFewInFor,           ForwardFewOutRegsFor,        ForwardFewOutFor,
    BackwardDataFewInFor, BackwardFilterFewInRegsFor, BackwardFilterFewOutFor,
};

}  // namespace onednn_addon::GANTRY_TIER_NAMESPACE
