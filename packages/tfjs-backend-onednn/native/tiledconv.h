// Register-tiled convolution gradients for strided layers with many channels on both sides.
//
// The filter gradient of a 4x4 stride-2 layer (dcgan-mnist's 64-to-128-channel layer, and
// its generator's transposed twin) ran at 155 to 175 GFLOP/s through oneDNN 2.6's kernels on
// one AVX-512 core, where its forward pass runs at about 210. Here every filter tap's
// gradient is a sum of outer products, dw[tap][c][oc] += x[pixel][c] * dy[out pixel][oc]: a
// tile of 6 input channels by 64 output channels stays in 24 vector registers while the
// images go by, each step one broadcast of x and four vector loads of dy for 24
// multiply-adds. The images pass in groups, so that a group's x and dy stay in cache
// while the tiles sweep over them.
//
// Each output element is summed over the images, rows and columns in one fixed order, and
// the threads split the tiles, never a sum: the results are the same bits on any thread
// count.
//
// The input gradient of those layers (a generator's transposed convolution runs it as its
// forward pass) ran at 190 to 200 GFLOP/s through oneDNN. Here it is scattered tap by tap:
// for each filter tap, dx at the pixels the tap reaches gains dy times the tap's filter
// slice, a tile of 2 x 7 output pixels by 32 input channels in 28 registers while the output
// channels go by, with the filter transposed once per call ([tap][oc][c]) so that each step
// is two vector loads and 14 broadcasts of dy for 28 multiply-adds. The threads split the
// images; each image's dx is summed tap after tap in one order.
//
// Those figures are AVX-512's. The tiles are built for every CPU tier (cpu_tier.h), each with
// tile shapes its registers hold (tiledconv_kernels.cc), and each tier takes by default the
// layers it was measured to run faster than oneDNN (see tiledconv.cc).
#pragma once

#include <string>

#include "conv_geometry.h"

namespace onednn_addon {

// Whether TiledBackwardFilter takes this geometry on `threads` threads on the CPU tier in use.
bool TiledBackwardFilterFits(const ConvGeometry& g, int threads);

// dw = the filter gradient of x and dy; returns false (and writes nothing) where it does not
// fit, so that the caller runs oneDNN.
bool TiledBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw, int threads);

// Whether TiledBackwardData takes this geometry on `threads` threads on the CPU tier in use.
bool TiledBackwardDataFits(const ConvGeometry& g, int threads);

// dx = the input gradient of dy through w; returns false (and writes nothing) where it does
// not fit.
bool TiledBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, int threads);

// What conv2dImplementation calls these kernels: "tiled:" and the CPU tier ("tiled:avx512",
// "tiled:avx2", "tiled:generic").
const std::string& TiledImplementationName();

}  // namespace onednn_addon
