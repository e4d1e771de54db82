// The register tiles of tiledconv.h, written once and compiled once per CPU tier (binding.gyp;
// simd.h names the tier's namespace and vector). Only the tile shapes differ between tiers.
#include "tiledconv_kernels.h"

#include "simd.h"

namespace onednn_addon::GANTRY_TIER_NAMESPACE {
namespace {

// The filter gradient's tile: input channels (one broadcast of x each) by vectors of 16 output
// channels (one load of dy each), rows * vectors sums in registers. The input gradient's: rows
// x cols output pixels (one broadcast of dy each) by vectors of 16 input channels (one load of
// the filter each).
#if defined(__AVX512F__)
// 24 of 32 zmm registers. 28 for the input gradient: 2 rows of 7 output pixels (dcgan-mnist's
// 7x7 rows whole) by 32 channels. One row of 7 by 64 channels spilled a register; 2 rows of 6
// ran 3 to 5% slower, and a row of 6 by 64 channels (more loads of the filter per multiply-
// add) 15 to 20% slower.
constexpr int kRows = 6, kVectors = 4;
constexpr int kScatterRows = 2, kScatterCols = 7, kScatterVectors = 2;
#elif defined(__AVX2__)
// 12 of 16 ymm registers (a vector of 16 is two of them).
constexpr int kRows = 6, kVectors = 1;
constexpr int kScatterRows = 2, kScatterCols = 3, kScatterVectors = 1;
#elif defined(__aarch64__)
// 24 of 32 NEON registers (a vector of 16 is four of them).
constexpr int kRows = 6, kVectors = 1;
constexpr int kScatterRows = 2, kScatterCols = 3, kScatterVectors = 1;
#else
// 12 of 16 xmm registers (a vector of 16 is four of them).
constexpr int kRows = 3, kVectors = 1;
constexpr int kScatterRows = 1, kScatterCols = 3, kScatterVectors = 1;
#endif

template <int R, int VV>
void FilterTile(const ConvGeometry& g, const float* x, const float* dy, float* dw, int64_t i, int64_t j, int64_t c0,
                int64_t oc0, int64_t n0, int64_t n1, bool fromZero) {
  V acc[R][VV];
  float* out = dw + ((i * g.kw + j) * g.c + c0) * g.oc + oc0;
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < VV; ++v) acc[r][v] = fromZero ? V{} : Load(out + r * g.oc + 16 * v);
  }
  int64_t ohLo, ohHi, owLo, owHi;
  TapRange(g.oh, g.h, g.sh, g.pt, i * g.dh, ohLo, ohHi);
  TapRange(g.ow, g.w, g.sw, g.pl, j * g.dw, owLo, owHi);
  const int64_t xStep = g.sw * g.c;
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t oh = ohLo; oh < ohHi; ++oh) {
      int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = owLo * g.sw - g.pl + j * g.dw;
      const float* xr = x + ((n * g.h + ih) * g.w + iw) * g.c + c0;
      const float* dr = dy + ((n * g.oh + oh) * g.ow + owLo) * g.oc + oc0;
      for (int64_t ow = owLo; ow < owHi; ++ow, xr += xStep, dr += g.oc) {
        V d[VV];
#pragma GCC unroll 4
        for (int v = 0; v < VV; ++v) d[v] = Load(dr + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const V b = Splat(xr[r]);
#pragma GCC unroll 4
          for (int v = 0; v < VV; ++v) acc[r][v] += b * d[v];
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < VV; ++v) Store(out + r * g.oc + 16 * v, acc[r][v]);
  }
}

template <int ROWS, int COLS, int VV>
void ScatterTile(const ConvGeometry& g, const float* dy, const float* wt, float* dx, int64_t n, int64_t i, int64_t j,
                 int64_t oh0, int64_t ow0, int64_t c0) {
  constexpr int Q = ROWS * COLS;
  V acc[Q][VV];
  float* out[Q];
  const float* p[Q];
#pragma GCC unroll 16
  for (int q = 0; q < Q; ++q) {
    int64_t oh = oh0 + q / COLS, ow = ow0 + q % COLS;
    int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
    out[q] = dx + ((n * g.h + ih) * g.w + iw) * g.c + c0;
    p[q] = dy + ((n * g.oh + oh) * g.ow + ow) * g.oc;
#pragma GCC unroll 4
    for (int v = 0; v < VV; ++v) acc[q][v] = Load(out[q] + 16 * v);
  }
  const float* wr = wt + (i * g.kw + j) * g.oc * g.c + c0;
  for (int64_t o = 0; o < g.oc; ++o, wr += g.c) {
    V w[VV];
#pragma GCC unroll 4
    for (int v = 0; v < VV; ++v) w[v] = Load(wr + 16 * v);
#pragma GCC unroll 16
    for (int q = 0; q < Q; ++q) {
      const V b = Splat(p[q][o]);
#pragma GCC unroll 4
      for (int v = 0; v < VV; ++v) acc[q][v] += b * w[v];
    }
  }
#pragma GCC unroll 16
  for (int q = 0; q < Q; ++q) {
#pragma GCC unroll 4
    for (int v = 0; v < VV; ++v) Store(out[q] + 16 * v, acc[q][v]);
  }
}

// The instance for a tile of rows x vectors, at most R x VV.
template <int R = kRows, int VV = kVectors>
TiledFilterFn FilterTileFor(int64_t rows, int64_t vectors) {
  if constexpr (VV > 1) {
    if (vectors < VV) return FilterTileFor<R, VV - 1>(rows, vectors);
  }
  if constexpr (R > 1) {
    if (rows < R) return FilterTileFor<R - 1, VV>(rows, vectors);
  }
  return FilterTile<R, VV>;
}

// The instance for a tile of rows x cols pixels by vectors, at most ROWS x COLS by VV.
template <int ROWS = kScatterRows, int COLS = kScatterCols, int VV = kScatterVectors>
TiledScatterFn ScatterTileFor(int64_t rows, int64_t cols, int64_t vectors) {
  if constexpr (VV > 1) {
    if (vectors < VV) return ScatterTileFor<ROWS, COLS, VV - 1>(rows, cols, vectors);
  }
  if constexpr (ROWS > 1) {
    if (rows < ROWS) return ScatterTileFor<ROWS - 1, COLS, VV>(rows, cols, vectors);
  }
  if constexpr (COLS > 1) {
    if (cols < COLS) return ScatterTileFor<ROWS, COLS - 1, VV>(rows, cols, vectors);
  }
  return ScatterTile<ROWS, COLS, VV>;
}

}  // namespace

extern const TiledKernels kTiledKernels = {
    kRows, kVectors, FilterTileFor<>, kScatterRows, kScatterCols, kScatterVectors, ScatterTileFor<>,
};

}  // namespace onednn_addon::GANTRY_TIER_NAMESPACE
