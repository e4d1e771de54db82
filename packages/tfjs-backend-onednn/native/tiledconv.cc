// See tiledconv.h. The register tiles are in tiledconv_kernels.cc, compiled once per CPU tier
// (cpu_tier.h); this file, built for any CPU, lays them over a layer and splits them over
// threads.
#include "tiledconv.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "cpu_tier.h"
#include "environment.h"
#include "tiledconv_kernels.h"

namespace onednn_addon {
namespace {

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

// The tiles of the tier in use, or null where they are off. Every tier takes the layers that
// fit: against oneDNN capped to the same tier on the presets' strided layers (bench/
// conv-layers.js, medians of 9 alternating runs on a 2-core AMD EPYC; docs/performance.md),
// AVX2's tiles took 0.59 to 1.14 of oneDNN's time on 1 and 2 threads (dcgan-mnist's filter
// gradients 0.75 to 0.94; the ratios near 1 are ties within the runs' noise), the generic
// tier's 0.59 to 1.04 of SSE4.1's on one. (AVX2 tiles of 3 x 32 and 4 x 16 filter-gradient sums, and 1 x 3 pixels by
// 32 or 1 x 6 by 16 for the input gradient, ran up to 1.5 times as long as the 6 x 16 and 2 x 3
// by 16 kept, and nowhere clearly faster.) GANTRY_TILED_CONV=0 leaves these layers to oneDNN (to compare the two).
const TiledKernels* Kernels() {
  static const TiledKernels* kernels = []() -> const TiledKernels* {
    if (!environment::Read(environment::kTiledConv)) return nullptr;
    switch (ActiveCpuTier()) {
#if defined(__x86_64__)
      case CpuTier::kAvx512: return &tier_avx512::kTiledKernels;
      case CpuTier::kAvx2: return &tier_avx2::kTiledKernels;
#endif
      default: return &tier_generic::kTiledKernels;
    }
  }();
  return kernels;
}


// Scratch kept between calls, on the thread that calls in.
float* ScratchFloats(size_t n) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace

const std::string& TiledImplementationName() {
  static const std::string name = std::string("tiled:") + CpuTierName(ActiveCpuTier());
  return name;
}

bool TiledBackwardFilterFits(const ConvGeometry& g, int threads) {
  (void)threads;  // the same choice on one and two threads (bench/tiled-conv.cc)
  bool strided = g.sh > 1 || g.sw > 1;
  bool padded = g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0;
  return Kernels() != nullptr && strided && padded && g.oc % 16 == 0 && std::min(g.c, g.oc) >= 64;
}

bool TiledBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw, int threads) {
  if (!TiledBackwardFilterFits(g, threads)) return false;
  const TiledKernels& k = *Kernels();
  const int64_t tileRows = k.rows, tileVectors = k.vectors;
  const int64_t taps = g.kh * g.kw;
  const int64_t rowTiles = (g.c + tileRows - 1) / tileRows, vectorTiles = (g.oc + 16 * tileVectors - 1) / (16 * tileVectors);
  const int64_t tiles = taps * rowTiles * vectorTiles;
  const int64_t tileFloats = tileRows * 16 * tileVectors;
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
        for (int64_t t = b0; t < b1; ++t) {
          // tiles run tap by tap, then input channels, then output channels
          int64_t vt = t % vectorTiles, rest = t / vectorTiles, rt = rest % rowTiles, tap = rest / rowTiles;
          int64_t c0 = rt * tileRows, oc0 = vt * 16 * tileVectors;
          int64_t rows = std::min(tileRows, g.c - c0), vectors = std::min(tileVectors, (g.oc - oc0) / 16);
          k.filterTile(rows, vectors)(g, x, dy, dw, tap / g.kw, tap % g.kw, c0, oc0, n0, n1, n0 == 0);
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
  return Kernels() != nullptr && strided && padded && g.c % 16 == 0 && std::min(g.c, g.oc) >= 64 && filterFits;
}

bool TiledBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, int threads) {
  if (!TiledBackwardDataFits(g, threads)) return false;
  const TiledKernels& k = *Kernels();
  const int64_t tileRows = k.scatterRows, tileCols = k.scatterCols, tileVectors = k.scatterVectors;
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
  const int64_t vectorTiles = (g.c + 16 * tileVectors - 1) / (16 * tileVectors);
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
        const int64_t width = owHi - owLo, colTiles = (width + tileCols - 1) / tileCols;
        for (int64_t oh = ohLo; oh < ohHi; oh += tileRows) {
          const int64_t rows = std::min(tileRows, ohHi - oh);
          for (int64_t ct = 0; ct < colTiles; ++ct) {
            const int64_t a = owLo + width * ct / colTiles, b = owLo + width * (ct + 1) / colTiles;
            for (int64_t vt = 0; vt < vectorTiles; ++vt) {
              const int64_t c0 = vt * 16 * tileVectors, vectors = std::min(tileVectors, (g.c - c0) / 16);
              k.scatterTile(rows, b - a, vectors)(g, dy, wt, dx, n, i, j, oh, a, c0);
            }
          }
        }
      }
    }
  }
  return true;
}

}  // namespace onednn_addon
