// The register tiles of tiledconv.h for one CPU tier (tiledconv_kernels.cc, compiled once per
// tier), with the tile shapes that tier's registers hold. tiledconv.cc lays the tiles over a
// layer and splits them over threads.
#pragma once

#include <cstdint>

#include "conv_geometry.h"

namespace onednn_addon {

// dw's tile at tap (i, j), input channels c0 .. c0 + rows - 1 and output channels oc0 ..
// oc0 + 16 * vectors - 1, summed over images n0 .. n1 - 1 onto what it holds (or from zero).
using TiledFilterFn = void (*)(const ConvGeometry& g, const float* x, const float* dy, float* dw, int64_t i,
                               int64_t j, int64_t c0, int64_t oc0, int64_t n0, int64_t n1, bool fromZero);
// dx of image n gains, at the pixels tap (i, j) reaches from the rows x cols output pixels at
// (oh0, ow0), the sum over output channels of dy times the transposed filter wt[tap][oc][c],
// for input channels c0 .. c0 + 16 * vectors - 1.
using TiledScatterFn = void (*)(const ConvGeometry& g, const float* dy, const float* wt, float* dx, int64_t n,
                                int64_t i, int64_t j, int64_t oh0, int64_t ow0, int64_t c0);

struct TiledKernels {
  int64_t rows, vectors;  // the filter gradient's largest tile
  TiledFilterFn (*filterTile)(int64_t rows, int64_t vectors);
  int64_t scatterRows, scatterCols, scatterVectors;  // the input gradient's largest tile
  TiledScatterFn (*scatterTile)(int64_t rows, int64_t cols, int64_t vectors);
};

#if defined(__x86_64__)
namespace tier_avx512 {
extern const TiledKernels kTiledKernels;
}
namespace tier_avx2 {
extern const TiledKernels kTiledKernels;
}
#endif
namespace tier_generic {
extern const TiledKernels kTiledKernels;
}

}  // namespace onednn_addon
