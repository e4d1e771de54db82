// See tiledconv.h. The kernels are compiled for AVX-512 (the rest of the addon is built for
// any x86-64) and only called when the CPU has it.
#include "tiledconv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace onednn_addon {
namespace {

constexpr int64_t kRows = 6;            // input channels per tile (broadcasts)
constexpr int64_t kVectors = 4;         // output-channel vectors of 16 per tile
constexpr int64_t kImagesPerGroup = 8;  // images a group of tiles sweeps over at once
// A thread's tiles go in blocks whose part of dw (about 384 KB) stays in its L2 cache while
// the image groups pass.
constexpr int64_t kBlockFloats = 96 * 1024;

// GANTRY_TILED_CONV=0 leaves these layers to oneDNN (to compare the two).
bool Enabled() {
  static const bool on = [] {
    const char* env = std::getenv("GANTRY_TILED_CONV");
    bool off = env != nullptr && std::string(env) == "0";
    return !off && __builtin_cpu_supports("avx512f");
  }();
  return on;
}

// Output positions o in [0, out) whose input position o * s - pad + off lies in [0, in).
void TapRange(int64_t out, int64_t in, int64_t s, int64_t pad, int64_t off, int64_t& lo, int64_t& hi) {
  int64_t a = pad - off, b = in - 1 + pad - off;
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  hi = b < 0 ? 0 : std::min(out, b / s + 1);
  if (lo > hi) lo = hi;
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

// The tile of dw at tap (i, j), input channels c0 .. c0+R-1 and output channels
// oc0 .. oc0+16V-1, summed over images n0 .. n1-1 onto what it holds (or from zero).
template <int R, int V>
void Tile(const ConvGeometry& g, const float* x, const float* dy, float* dw, int64_t i, int64_t j, int64_t c0,
          int64_t oc0, int64_t n0, int64_t n1, bool fromZero) {
  __m512 acc[R][V];
  float* out = dw + ((i * g.kw + j) * g.c + c0) * g.oc + oc0;
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = fromZero ? _mm512_setzero_ps() : _mm512_loadu_ps(out + r * g.oc + 16 * v);
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
        __m512 d[V];
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) d[v] = _mm512_loadu_ps(dr + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          __m512 b = _mm512_set1_ps(xr[r]);
#pragma GCC unroll 4
          for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(b, d[v], acc[r][v]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(out + r * g.oc + 16 * v, acc[r][v]);
  }
}

using TileFn = void (*)(const ConvGeometry&, const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                        int64_t, int64_t, bool);

template <int V>
TileFn TileFor(int64_t rows) {
  switch (rows) {
    case 6: return Tile<6, V>;
    case 5: return Tile<5, V>;
    case 4: return Tile<4, V>;
    case 3: return Tile<3, V>;
    case 2: return Tile<2, V>;
    default: return Tile<1, V>;
  }
}

TileFn TileFor(int64_t rows, int64_t vectors) {
  switch (vectors) {
    case 4: return TileFor<4>(rows);
    case 3: return TileFor<3>(rows);
    case 2: return TileFor<2>(rows);
    default: return TileFor<1>(rows);
  }
}

#pragma GCC pop_options

}  // namespace

bool TiledBackwardFilterFits(const ConvGeometry& g, int threads) {
  (void)threads;  // the same choice on one and two threads (bench/tiled-conv.cc)
  bool strided = g.sh > 1 || g.sw > 1;
  bool padded = g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0;
  return Enabled() && strided && padded && g.oc % 16 == 0 && std::min(g.c, g.oc) >= 64;
}

bool TiledBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw, int threads) {
  if (!TiledBackwardFilterFits(g, threads)) return false;
  const int64_t taps = g.kh * g.kw;
  const int64_t rowTiles = (g.c + kRows - 1) / kRows, vectorTiles = (g.oc + 16 * kVectors - 1) / (16 * kVectors);
  const int64_t tiles = taps * rowTiles * vectorTiles;
  const int64_t tileFloats = kRows * 16 * kVectors;
  const int64_t perBlock = std::max<int64_t>(1, kBlockFloats / tileFloats);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = tiles * t / nt, hi = tiles * (t + 1) / nt;
    for (int64_t b0 = lo; b0 < hi; b0 += perBlock) {
      int64_t b1 = std::min(hi, b0 + perBlock);
      for (int64_t n0 = 0; n0 < g.n; n0 += kImagesPerGroup) {
        int64_t n1 = std::min(g.n, n0 + kImagesPerGroup);
        for (int64_t k = b0; k < b1; ++k) {
          // tiles run tap by tap, then input channels, then output channels
          int64_t vt = k % vectorTiles, rest = k / vectorTiles, rt = rest % rowTiles, tap = rest / rowTiles;
          int64_t c0 = rt * kRows, oc0 = vt * 16 * kVectors;
          int64_t rows = std::min(kRows, g.c - c0), vectors = std::min(kVectors, (g.oc - oc0) / 16);
          TileFor(rows, vectors)(g, x, dy, dw, tap / g.kw, tap % g.kw, c0, oc0, n0, n1, n0 == 0);
        }
      }
    }
  }
  return true;
}

}  // namespace onednn_addon
