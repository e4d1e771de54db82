// See fewconv.h. The kernels are compiled for AVX-512 (the rest of the addon is built for
// any x86-64) and only called when the CPU has it.
#include "fewconv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime.h"

namespace onednn_addon {
namespace {

constexpr int64_t kFew = 4;         // at most this many channels on the image side
constexpr int64_t kMaxVectors = 8;  // at most 8 * 16 = 128 channels on the other side
constexpr int64_t kImagesPerPartial = 8;

// GANTRY_FEW_CHANNEL_KERNELS=0 leaves these layers to oneDNN (to compare the two).
bool Enabled() {
  static const bool on = [] {
    const char* env = std::getenv("GANTRY_FEW_CHANNEL_KERNELS");
    bool off = env != nullptr && std::string(env) == "0";
    return !off && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  }();
  return on;
}

// The kernels assume padding of zero or more on every side (what TF.js computes).
bool Taken(const ConvGeometry& g) { return Enabled() && g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0; }

bool Vectors(int64_t channels, int64_t& count) {
  count = channels / 16;
  return channels % 16 == 0 && count >= 1 && count <= kMaxVectors;
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")
#pragma GCC optimize("fp-contract=fast")

typedef float V __attribute__((vector_size(64)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V4 __attribute__((vector_size(16)));
typedef float VU __attribute__((vector_size(64), aligned(4), may_alias));

inline V Load(const float* p) { return *reinterpret_cast<const VU*>(p); }
inline void Store(float* p, V v) { *reinterpret_cast<VU*>(p) = v; }
inline V Splat(float s) { return (V)_mm512_set1_ps(s); }

// Lanes summed pairwise in a fixed tree.
inline float HSum(V v) {
  V8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
         __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  V4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// Activation codes as in activation.ts: 0 none, 1 relu, 3 leaky relu. Written as the cpu
// backend's kernels are, so that NaN stays NaN.
inline V Activate(V v, int act, float alpha) {
  if (act == 1) return v < 0 ? V{} : v;
  if (act == 3) return v < 0 ? v * alpha : v;
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
  constexpr int P = NV >= 16 ? 1 : 16 / NV;
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
  constexpr int P = OC * CV >= 8 ? 1 : 8 / (OC * CV);
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

// Backward data, c <= 4: for a block of P output columns, the products of dy with every
// (tap, input channel) column of the filter (TV vectors of them; wt is the filter as
// [oc][TV * 16], zero-padded), then each product added to the input pixel its tap reads.
// A kernel row's taps land side by side in dx (kw * c floats) when the filter is not
// dilated across; they are then added as one masked vector.
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
  const bool rows = g.dw == 1 && span <= 16;
  for (int k = 0; k < P; ++k) {
    const int64_t ow = ow0 + k, iw0 = ow * g.sw - g.pl;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh;
      if (ih < 0 || ih >= g.h) continue;
      if (rows) {
        const int64_t jLo = std::max<int64_t>(0, -iw0), jHi = std::min<int64_t>(g.kw, g.w - iw0);
        if (jLo >= jHi) continue;
        const __mmask16 mask = static_cast<__mmask16>((1u << ((jHi - jLo) * c)) - 1u);
        float* dst = dxn + (ih * g.w + iw0 + jLo) * c;
        const V add = LanesFrom<TV>(acc[k], i * span + jLo * c);
        _mm512_mask_storeu_ps(dst, mask, (__m512)((V)_mm512_maskz_loadu_ps(mask, dst) + add));
        continue;
      }
      float taps[TV * 16];
      for (int v = 0; v < TV; ++v) Store(taps + 16 * v, acc[k][v]);
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
  constexpr int P = TV <= 2 ? 8 : 4;
  std::fill(dx + n0 * g.h * g.w * g.c, dx + n1 * g.h * g.w * g.c, 0.f);
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
  std::fill(part, part + TC * oc, 0.f);
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
  constexpr int P = OC * CV >= 8 ? 1 : 8 / (OC * CV);
  const int64_t c = g.c;
  std::fill(part, part + g.kh * g.kw * c * OC, 0.f);
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

#pragma GCC pop_options

// Calls the instance of a kernel template for a runtime count in [1, Max] (Max 4 or 8).
template <int Max, template <int> class K, typename... A>
void ByCount(int64_t count, A&&... args) {
  switch (count) {
    case 1: K<1>::Run(args...); break;
    case 2: K<2>::Run(args...); break;
    case 3: K<3>::Run(args...); break;
    case 4: K<4>::Run(args...); break;
    default:
      if constexpr (Max > 4) {
        switch (count) {
          case 5: K<5>::Run(args...); break;
          case 6: K<6>::Run(args...); break;
          case 7: K<7>::Run(args...); break;
          default: K<8>::Run(args...); break;
        }
      }
  }
}

template <int NV>
struct ForwardFewInK {
  template <typename... A>
  static void Run(A... a) { ForwardFewIn<NV>(a...); }
};
template <int TV>
struct BackwardDataFewInK {
  template <typename... A>
  static void Run(A... a) { BackwardDataFewIn<TV>(a...); }
};
// oc in [1, 4] times input vectors in [1, 4], as one count
template <int K>
struct ForwardFewOutK {
  template <typename... A>
  static void Run(int64_t cv, A... a) {
    switch (cv) {
      case 1: ForwardFewOut<K, 1>(a...); break;
      case 2: ForwardFewOut<K, 2>(a...); break;
      case 3: ForwardFewOut<K, 3>(a...); break;
      default: ForwardFewOut<K, 4>(a...); break;
    }
  }
};
template <int K>
struct BackwardFilterFewOutK {
  template <typename... A>
  static void Run(int64_t cv, A... a) {
    switch (cv) {
      case 1: BackwardFilterFewOut<K, 1>(a...); break;
      case 2: BackwardFilterFewOut<K, 2>(a...); break;
      case 3: BackwardFilterFewOut<K, 3>(a...); break;
      default: BackwardFilterFewOut<K, 4>(a...); break;
    }
  }
};

template <int KH, int KW, int C>
struct ForwardFewInRegsK {
  static constexpr auto kernel = ForwardFewInRegs<KH, KW, C>;
};
template <int KH, int KW, int C>
struct BackwardFilterFewInRegsK {
  static constexpr auto kernel = BackwardFilterFewInRegs<KH, KW, C>;
};

// The instance for the kernel shapes of image layers (1, 3, 4 or 5 square with 1 or 3
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

// ForwardFewOutRegs for 16 input channels and a filter of at most 27 vectors, or null.
using FewOutKernel = void (*)(const ConvGeometry&, const float*, const float*, const float*, float*, int, float,
                              int64_t, int64_t);
FewOutKernel FewOutRegsKernel(const ConvGeometry& g) {
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

bool ActivationTaken(int act) { return act == 0 || act == 1 || act == 3; }

// Scratch memory kept between calls (a training step makes the same calls every step), one
// buffer per use so that a call can hold two.
enum class Scratch { kPartials, kFilter, kSum };
float* ScratchFloats(Scratch use, size_t n) {
  thread_local std::vector<float> buffers[3];
  std::vector<float>& b = buffers[static_cast<int>(use)];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Filter sums per group of kImagesPerPartial images, added in group order: the same bits
// on any thread count.
template <typename Kernel>
void SumOverImageGroups(const ConvGeometry& g, float* dw, int64_t size, int threads, Kernel kernel) {
  int64_t groups = (g.n + kImagesPerPartial - 1) / kImagesPerPartial;
  float* parts = ScratchFloats(Scratch::kPartials, groups * size);
  ParallelRanges(groups, std::min<int64_t>(threads, groups), [&](int64_t g0, int64_t g1, int) {
    for (int64_t k = g0; k < g1; ++k) {
      kernel(parts + k * size, k * kImagesPerPartial, std::min(g.n, (k + 1) * kImagesPerPartial));
    }
  });
  std::copy(parts, parts + size, dw);
  for (int64_t k = 1; k < groups; ++k) {
    const float* p = parts + k * size;
    for (int64_t e = 0; e < size; ++e) dw[e] += p[e];
  }
}

// These kernels split images over threads with one fork and join per call, and no
// per-thread setup; from this much work the second core pays off (measured on
// dcgan-mnist's 26 and 51 MFLOP layers, 2 cores).
constexpr double kParallelFlops = 8e6;

int ThreadsFor(const ConvGeometry& g) { return g.Flops() >= kParallelFlops ? ConfiguredThreads() : 1; }

template <typename Body>
void OverImages(const ConvGeometry& g, int threads, Body body) {
  ParallelRanges(g.n, std::min<int64_t>(threads, g.n), [&](int64_t n0, int64_t n1, int) { body(n0, n1); });
}

}  // namespace

bool FewChannelForward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                       int activation, float alpha) {
  const int threads = ThreadsFor(g);
  if (!Taken(g) || !ActivationTaken(activation)) return false;
  int64_t count;
  if (g.c <= kFew && Vectors(g.oc, count) && count == 1 && g.dw == 1) {
    // with 16 output channels; with more, the blocks of columns below run faster
    using Kernel = void (*)(const ConvGeometry&, const float*, const float*, const float*, float*, int, float,
                            int64_t, int64_t);
    Kernel k = PresetKernel<Kernel, ForwardFewInRegsK>(g);
    if (k != nullptr) {
      OverImages(g, threads, [&](int64_t n0, int64_t n1) { k(g, x, w, b, y, activation, alpha, n0, n1); });
      return true;
    }
  }
  if (g.c == 1 && Vectors(g.oc, count)) {
    // (with 3 input channels and 32 outputs, dcgan64's first layer, oneDNN was faster)
    OverImages(g, threads, [&](int64_t n0, int64_t n1) {
      ByCount<8, ForwardFewInK>(count, g, x, w, b, y, activation, alpha, n0, n1);
    });
    return true;
  }
  if (g.oc <= kFew && Vectors(g.c, count) && count <= 4) {
    const int64_t taps = g.kh * g.kw;
    float* wt = ScratchFloats(Scratch::kFilter, taps * g.oc * g.c);  // [tap][oc][c] from HWIO [tap][c][oc]
    FewOutKernel regs = FewOutRegsKernel(g);
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t ci = 0; ci < g.c; ++ci) {
        for (int64_t o = 0; o < g.oc; ++o) wt[(t * g.oc + o) * g.c + ci] = w[(t * g.c + ci) * g.oc + o];
      }
    }
    OverImages(g, threads, [&](int64_t n0, int64_t n1) {
      if (regs != nullptr) {
        regs(g, x, wt, b, y, activation, alpha, n0, n1);
      } else {
        ByCount<4, ForwardFewOutK>(g.oc, count, g, x, wt, b, y, activation, alpha, n0, n1);
      }
    });
    return true;
  }
  return false;
}

bool FewChannelBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int threads = ThreadsFor(g);
  int64_t count;
  const int64_t cols = g.kh * g.kw * g.c, tv = (cols + 15) / 16;
  if (!Taken(g) || g.c > kFew || !Vectors(g.oc, count) || g.kh * g.kw == 1) return false;
  if (tv > 4) return false;
  float* wt = ScratchFloats(Scratch::kFilter, g.oc * tv * 16);  // [oc][cols, padded] from HWIO [cols][oc]
  std::fill(wt, wt + g.oc * tv * 16, 0.f);
  for (int64_t k = 0; k < cols; ++k) {
    for (int64_t o = 0; o < g.oc; ++o) wt[o * tv * 16 + k] = w[k * g.oc + o];
  }
  OverImages(g, threads, [&](int64_t n0, int64_t n1) {
    ByCount<4, BackwardDataFewInK>(tv, g, dy, wt, dx, n0, n1);
  });
  return true;
}

bool FewChannelBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int threads = ThreadsFor(g);
  if (!Taken(g)) return false;
  int64_t count;
  const int64_t size = g.WSize();
  if (g.c <= kFew && Vectors(g.oc, count) && g.dw == 1) {
    // the kernel shapes of the presets' image layers
    using Kernel = void (*)(const ConvGeometry&, const float*, const float*, float*, int64_t, int64_t);
    Kernel k = PresetKernel<Kernel, BackwardFilterFewInRegsK>(g);
    if (k != nullptr) {
      SumOverImageGroups(g, dw, size, threads, [&](float* part, int64_t n0, int64_t n1) { k(g, x, dy, part, n0, n1); });
      return true;
    }
  }
  if (g.oc <= kFew && Vectors(g.c, count) && count <= 4) {
    float* sum = ScratchFloats(Scratch::kSum, size);  // [tap][oc][c]
    SumOverImageGroups(g, sum, size, threads, [&](float* part, int64_t n0, int64_t n1) {
      ByCount<4, BackwardFilterFewOutK>(g.oc, count, g, x, dy, part, n0, n1);
    });
    const int64_t taps = g.kh * g.kw;
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t ci = 0; ci < g.c; ++ci) {
        for (int64_t o = 0; o < g.oc; ++o) dw[(t * g.c + ci) * g.oc + o] = sum[(t * g.oc + o) * g.c + ci];
      }
    }
    return true;
  }
  return false;
}

}  // namespace onednn_addon
