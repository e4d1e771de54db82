// The few-channel kernels of one CPU tier (fewconv_kernels.cc, compiled once per tier), as
// fewconv.cc calls them: each selector returns the kernel for a geometry or a count, or null
// where the tier has none. A kernel computes images [n0, n1) on the calling thread; fewconv.cc
// splits the images over threads, transposes filters and sums partial filter gradients.
#pragma once

#include <cstdint>

#include "conv_geometry.h"

namespace onednn_addon {

// y[n0..n1) from x, the filter (HWIO, or [tap][oc][c] for the few-output kernels) and the bias
// (or null), through activation 0 (none), 1 (relu) or 3 (leaky relu with alpha).
using FewForwardFn = void (*)(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                              int activation, float alpha, int64_t n0, int64_t n1);
// dx[n0..n1) (zeroed first) from dy and the filter as [oc][tap vectors * 16], zero-padded.
using FewBackwardDataFn = void (*)(const ConvGeometry& g, const float* dy, const float* wt, float* dx, int64_t n0,
                                   int64_t n1);
// part (zeroed first) = the filter gradient of images [n0, n1): HWIO, or [tap][oc][c] for
// the few-output kernels.
using FewBackwardFilterFn = void (*)(const ConvGeometry& g, const float* x, const float* dy, float* part, int64_t n0,
                                     int64_t n1);

struct FewChannelKernels {
  // c <= 4 to 16 outputs, the filter in registers: kernels 1x1 (c <= 3), 3x3 (c = 1 or 3),
  // 4x4 and 5x5 (c = 1)
  FewForwardFn (*forwardFewInRegs)(const ConvGeometry& g);
  // c <= 4 to 16 * vectors outputs (vectors 1 to 8), in blocks of output columns
  FewForwardFn (*forwardFewIn)(int64_t vectors);
  // 16 inputs to oc <= 3 (1 for 4x4 and 5x5) outputs, square kernels, the filter in registers
  FewForwardFn (*forwardFewOutRegs)(const ConvGeometry& g);
  // 16 * vectors inputs (vectors 1 to 4) to oc <= 4 outputs
  FewForwardFn (*forwardFewOut)(int64_t oc, int64_t vectors);
  // c <= 4 from many outputs, kh * kw * c in 16 * tapVectors (tapVectors 1 to 4)
  FewBackwardDataFn (*backwardDataFewIn)(int64_t tapVectors);
  // c <= 4 to many, the kernel shapes of forwardFewInRegs
  FewBackwardFilterFn (*backwardFilterFewInRegs)(const ConvGeometry& g);
  // 16 * vectors inputs (vectors 1 to 4) to oc <= 4
  FewBackwardFilterFn (*backwardFilterFewOut)(int64_t oc, int64_t vectors);
};

#if defined(__x86_64__)
namespace tier_avx512 {
extern const FewChannelKernels kFewChannelKernels;
}
namespace tier_avx2 {
extern const FewChannelKernels kFewChannelKernels;
}
#endif
namespace tier_generic {
extern const FewChannelKernels kFewChannelKernels;
}

}  // namespace onednn_addon
