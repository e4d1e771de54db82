// See tiledconv.h. The kernels are compiled for AVX-512 (the rest of the addon is built for
// any x86-64) and only called when the CPU has it.
#include "tiledconv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace onednn_addon {
namespace {

constexpr int64_t kRows = 6;            // input channels per tile (broadcasts)
constexpr int64_t kVectors = 4;         // output-channel vectors of 16 per tile
// Images a block of tiles sweeps over at once: up to 8, and no more than keep their x and dy
// within about 640 KB (dcgan-mnist's layer: 8 images, 600 KB; dcgan64's 16x16 layer: 6). A
// 32x32x128 layer's 8 images are 5 MB, and its filter gradient ran 1.35 times slower than
// oneDNN's with them. (Groups of output rows sized to 256 or 512 KB ran the DCGAN layers 5 to
// 15% slower.)
constexpr int64_t kMaxImagesPerGroup = 8;
constexpr int64_t kGroupBytes = 640 * 1024;
// A thread's tiles go in blocks whose part of dw (about 384 KB) stays in its L2 cache while
// the image groups pass.
constexpr int64_t kBlockFloats = 96 * 1024;
// The input gradient's filter, at most 1 MB.
constexpr int64_t kMaxDataFilterFloats = 256 * 1024;

// GANTRY_TILED_CONV=0 leaves these layers to oneDNN (to compare the two).
bool Enabled() {
  static const bool on = [] {
    const char* env = std::getenv("GANTRY_TILED_CONV");
    bool off = env != nullptr && std::string(env) == "0";
    return !off && __builtin_cpu_supports("avx512f");
  }();
  return on;
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

// 28 accumulators: 2 rows of 7 output pixels (dcgan-mnist's 7x7 rows whole) by 32 channels.
// One row of 7 by 64 channels spilled a register; 2 rows of 6 ran 3 to 5% slower, and a row
// of 6 by 64 channels (more loads of the filter per multiply-add) 15 to 20% slower.
constexpr int64_t kScatterCols = 7, kScatterRows = 2, kScatterVectors = 2;

// The input gradient, tap by tap: dx[tap's pixel of (oh, ow)][c] += sum over oc of
// dy[oh, ow][oc] * w[tap][c][oc]. A tile is up to ROWS x COLS output pixels of one image by 16V
// input channels, its sums in registers (loaded from dx, stored back) while the output channels
// go by, each step V vector loads of the transposed filter wt[tap][oc][c] and ROWS * COLS
// broadcasts of dy.
template <int ROWS, int COLS, int V>
void ScatterTile(const ConvGeometry& g, const float* dy, const float* wt, float* dx, int64_t n, int64_t i, int64_t j,
                 int64_t oh0, int64_t ow0, int64_t c0) {
  constexpr int Q = ROWS * COLS;
  __m512 acc[Q][V];
  float* out[Q];
  const float* p[Q];
#pragma GCC unroll 16
  for (int q = 0; q < Q; ++q) {
    int64_t oh = oh0 + q / COLS, ow = ow0 + q % COLS;
    int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
    out[q] = dx + ((n * g.h + ih) * g.w + iw) * g.c + c0;
    p[q] = dy + ((n * g.oh + oh) * g.ow + ow) * g.oc;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[q][v] = _mm512_loadu_ps(out[q] + 16 * v);
  }
  const float* wr = wt + (i * g.kw + j) * g.oc * g.c + c0;
  for (int64_t o = 0; o < g.oc; ++o, wr += g.c) {
    __m512 w[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) w[v] = _mm512_loadu_ps(wr + 16 * v);
#pragma GCC unroll 16
    for (int q = 0; q < Q; ++q) {
      __m512 b = _mm512_set1_ps(p[q][o]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[q][v] = _mm512_fmadd_ps(b, w[v], acc[q][v]);
    }
  }
#pragma GCC unroll 16
  for (int q = 0; q < Q; ++q) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(out[q] + 16 * v, acc[q][v]);
  }
}

using ScatterFn = void (*)(const ConvGeometry&, const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t);

template <int ROWS, int V>
ScatterFn ScatterFor(int64_t cols) {
  switch (cols) {
    case 7: return ScatterTile<ROWS, 7, V>;
    case 6: return ScatterTile<ROWS, 6, V>;
    case 5: return ScatterTile<ROWS, 5, V>;
    case 4: return ScatterTile<ROWS, 4, V>;
    case 3: return ScatterTile<ROWS, 3, V>;
    case 2: return ScatterTile<ROWS, 2, V>;
    default: return ScatterTile<ROWS, 1, V>;
  }
}

template <int V>
ScatterFn ScatterFor(int64_t rows, int64_t cols) {
  return rows == 2 ? ScatterFor<2, V>(cols) : ScatterFor<1, V>(cols);
}

ScatterFn ScatterFor(int64_t rows, int64_t cols, int64_t vectors) {
  return vectors == 2 ? ScatterFor<2>(rows, cols) : ScatterFor<1>(rows, cols);
}

#pragma GCC pop_options

// Scratch kept between calls, on the thread that calls in.
float* ScratchFloats(size_t n) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

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
  const int64_t imageBytes = (g.h * g.w * g.c + g.oh * g.ow * g.oc) * static_cast<int64_t>(sizeof(float));
  const int64_t imagesPerGroup = std::clamp<int64_t>(kGroupBytes / imageBytes, 1, kMaxImagesPerGroup);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = tiles * t / nt, hi = tiles * (t + 1) / nt;
    for (int64_t b0 = lo; b0 < hi; b0 += perBlock) {
      int64_t b1 = std::min(hi, b0 + perBlock);
      for (int64_t n0 = 0; n0 < g.n; n0 += imagesPerGroup) {
        int64_t n1 = std::min(g.n, n0 + imagesPerGroup);
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

bool TiledBackwardDataFits(const ConvGeometry& g, int threads) {
  (void)threads;  // the same choice on one and two threads (bench/tiled-conv.cc)
  bool strided = g.sh > 1 || g.sw > 1;
  bool padded = g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0;
  // the filter, transposed, stays in the L2 cache: dcgan64's 128-to-256 layer (2 MB) ran as
  // fast as oneDNN on one thread and 5 to 8% slower on two
  bool filterFits = g.kh * g.kw * g.c * g.oc <= kMaxDataFilterFloats;
  return Enabled() && strided && padded && g.c % 16 == 0 && std::min(g.c, g.oc) >= 64 && filterFits;
}

bool TiledBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, int threads) {
  if (!TiledBackwardDataFits(g, threads)) return false;
  const int64_t taps = g.kh * g.kw;
  float* wt = ScratchFloats(taps * g.oc * g.c);  // [tap][oc][c] from HWIO [tap][c][oc]
  for (int64_t t = 0; t < taps; ++t) {
    for (int64_t o0 = 0; o0 < g.oc; o0 += 16) {
      for (int64_t ci = 0; ci < g.c; ++ci) {
        const float* from = w + (t * g.c + ci) * g.oc + o0;
        float* to = wt + (t * g.oc + o0) * g.c + ci;
        for (int64_t o = 0; o < std::min<int64_t>(16, g.oc - o0); ++o) to[o * g.c] = from[o];
      }
    }
  }
  // Each image on one thread, its dx zeroed and then added to tap by tap: the same bits on any
  // thread count.
  const int64_t vectorTiles = (g.c + 16 * kScatterVectors - 1) / (16 * kScatterVectors);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t n = 0; n < g.n; ++n) {
    float* dxn = dx + n * g.h * g.w * g.c;
    std::fill(dxn, dxn + g.h * g.w * g.c, 0.f);
    for (int64_t i = 0; i < g.kh; ++i) {
      int64_t ohLo, ohHi;
      TapRange(g.oh, g.h, g.sh, g.pt, i * g.dh, ohLo, ohHi);
      for (int64_t j = 0; j < g.kw; ++j) {
        int64_t owLo, owHi;
        TapRange(g.ow, g.w, g.sw, g.pl, j * g.dw, owLo, owHi);
        const int64_t width = owHi - owLo, colTiles = (width + kScatterCols - 1) / kScatterCols;
        for (int64_t oh = ohLo; oh < ohHi; oh += kScatterRows) {
          const int64_t rows = std::min(kScatterRows, ohHi - oh);
          for (int64_t ct = 0; ct < colTiles; ++ct) {
            const int64_t a = owLo + width * ct / colTiles, b = owLo + width * (ct + 1) / colTiles;
            for (int64_t vt = 0; vt < vectorTiles; ++vt) {
              const int64_t c0 = vt * 16 * kScatterVectors, vectors = std::min(kScatterVectors, (g.c - c0) / 16);
              ScatterFor(rows, b - a, vectors)(g, dy, wt, dx, n, i, j, oh, a, c0);
            }
          }
        }
      }
    }
  }
  return true;
}

}  // namespace onednn_addon
