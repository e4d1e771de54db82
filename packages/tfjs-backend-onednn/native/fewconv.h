// Direct convolution kernels for layers with an image's few channels on one side.
//
// A discriminator's first layer reads 1 or 3 channels; a generator's last layer writes
// them. oneDNN's kernels vectorise over channels, so these layers ran at 10 to 60 GFLOP/s
// where the network's other convolutions run at 150 to 200 (dcgan-mnist, batch 64: about
// 5 ms of a 55 ms step on two threads; sngan64: about 25 ms of a 450 ms step on one).
// Here the many-channel side is the vector (16 floats), the few channels and the kernel
// taps are the loop, and nothing goes through a scratch matrix.
//
// Each function returns false when it does not take the geometry; the caller then uses
// oneDNN. They run on every CPU tier (cpu_tier.h: AVX-512, AVX2+FMA, generic), each tier taking
// by default the layers it was measured to run faster than oneDNN (see fewconv.cc), and take,
// with k the kernel shape and "many" a multiple of 16 up to 128:
//   forward:          c <= 4 to 16 outputs with k 1x1, 3x3 or 5x5 (c <= 3) or 4x4 (c = 1);
//                     c = 1 to many; or many (up to 64) to oc <= 4. Bias, relu, leaky relu.
//   backward data:    c <= 4 from many, k not 1x1, kh * kw * c <= 64
//   backward filter:  c <= 4 to many with the forward's kernel shapes; many (up to 64) to
//                     oc <= 4
// (oneDNN ran the other cases as fast or faster on AVX-512: dcgan64's 3-to-32 4x4 forward, the
// input gradient of a 1x1.)
// Every output element is summed in one fixed order that depends on the geometry alone:
// the results are the same bits on any thread count.
#pragma once

#include <cstdint>

#include "conv_geometry.h"

namespace onednn_addon {

// An image's side of a layer: at most this many channels (grey, RGB, RGBA). These kernels take
// such layers, and conv.cc's input gradient for few input channels those they leave.
inline constexpr int64_t kFewChannels = 4;

bool FewChannelForward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                       int activation, float alpha);
bool FewChannelBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
bool FewChannelBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace onednn_addon
