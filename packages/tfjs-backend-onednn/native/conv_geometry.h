// The geometry of a 2-D convolution as the TypeScript side computes it
// (tf.backend_util.computeConv2DInfo): NHWC activations, HWIO filters.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "oneapi/dnnl/dnnl.hpp"
#include "primitive_cache.h"

namespace onednn_addon {

struct ConvGeometry {
  using desc = dnnl::memory::desc;
  using dims = dnnl::memory::dims;
  using Tag = dnnl::memory::format_tag;
  static constexpr auto f32 = dnnl::memory::data_type::f32;

  int64_t n, h, w, c, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  size_t XSize() const { return n * h * w * c; }
  size_t WSize() const { return kh * kw * c * oc; }
  size_t YSize() const { return n * oh * ow * oc; }
  double Flops() const { return 2.0 * n * oh * ow * oc * kh * kw * c; }
  desc XDesc() const { return {{n, c, h, w}, f32, Tag::nhwc}; }
  desc YDesc() const { return {{n, oc, oh, ow}, f32, Tag::nhwc}; }
  desc WDesc() const { return {{oc, c, kh, kw}, f32, Tag::hwio}; }
  desc WAny() const { return {{oc, c, kh, kw}, f32, Tag::any}; }
  // x and y in a layout of oneDNN's choice (for kernels that run on reordered copies)
  desc XAny() const { return {{n, c, h, w}, f32, Tag::any}; }
  desc YAny() const { return {{n, oc, oh, ow}, f32, Tag::any}; }
  dims Strides() const { return {sh, sw}; }
  dims Dilations() const { return {dh - 1, dw - 1}; }
  dims PadL() const { return {pt, pl}; }
  dims PadR() const { return {pb, pr}; }
  CacheKey Key(double kind, int threads) const {
    return {kind, (double)threads, (double)n, (double)h, (double)w, (double)c, (double)kh,
            (double)kw, (double)oc, (double)oh, (double)ow, (double)sh, (double)sw,
            (double)dh, (double)dw, (double)pt, (double)pl, (double)pb, (double)pr};
  }
};

// Output positions o in [0, out) whose input position o * s - pad + off lies in [0, in), for a
// kernel tap at offset `off` (its index times the dilation).
inline void TapRange(int64_t out, int64_t in, int64_t s, int64_t pad, int64_t off, int64_t& lo, int64_t& hi) {
  int64_t a = pad - off, b = in - 1 + pad - off;
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  hi = b < 0 ? 0 : std::min(out, b / s + 1);
  if (lo > hi) lo = hi;
}

}  // namespace onednn_addon
