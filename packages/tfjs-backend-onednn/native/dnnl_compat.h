// The oneDNN calls whose spelling differs between 2.x and 3.x, each under one name, so that the
// kernels build against either and carry no version checks of their own.
//
// oneDNN 3.0 removed the operation descriptors (convolution_forward::desc and kin): a primitive
// descriptor now takes the engine first and the descriptor's arguments directly. The functions
// below take the arguments in the order of 3.x's constructors and build the same primitive
// descriptor on both; on 2.x through the descriptor, with the same attributes, so the same
// implementation is chosen and computes the same bits as before this header existed.
//
// Only what the kernels use lives here (convolutions and the eltwise kernel); calls that read
// the same on both (memory, memory::desc's get_size and comparison, reorder, dnnl_sgemm,
// impl_info_str, dnnl_version) are used directly. A kernel that needs another call that differs
// (post-ops, memory::desc's fields, binary with scales) adds its function here.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"
#include "oneapi/dnnl/dnnl_version.h"

#if DNNL_VERSION_MAJOR < 2 || DNNL_VERSION_MAJOR > 3
#error "tfjs-backend-onednn builds against oneDNN 2.x or 3.x"
#endif

namespace onednn_addon::dnnl_compat {

// The window of a convolution, as every convolution primitive takes it after its tensors.
// Dilations count the gaps between taps (0 for a dense kernel), as oneDNN does.
struct ConvWindow {
  dnnl::memory::dims strides, dilations, padL, padR;
};

// A forward convolution; `bias` may be null.
inline dnnl::convolution_forward::primitive_desc ConvolutionForward(
    const dnnl::engine& eng, dnnl::prop_kind prop, dnnl::algorithm alg, const dnnl::memory::desc& src,
    const dnnl::memory::desc& weights, const dnnl::memory::desc* bias, const dnnl::memory::desc& dst,
    const ConvWindow& win, const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
  const auto& [s, d, l, r] = win;
#if DNNL_VERSION_MAJOR >= 3
  if (bias) return {eng, prop, alg, src, weights, *bias, dst, s, d, l, r, attr};
  return {eng, prop, alg, src, weights, dst, s, d, l, r, attr};
#else
  using Desc = dnnl::convolution_forward::desc;
  if (bias) return {Desc(prop, alg, src, weights, *bias, dst, s, d, l, r), attr, eng};
  return {Desc(prop, alg, src, weights, dst, s, d, l, r), attr, eng};
#endif
}

// The input gradient of a convolution, with its forward primitive as the hint.
inline dnnl::convolution_backward_data::primitive_desc ConvolutionBackwardData(
    const dnnl::engine& eng, dnnl::algorithm alg, const dnnl::memory::desc& diffSrc,
    const dnnl::memory::desc& weights, const dnnl::memory::desc& diffDst, const ConvWindow& win,
    const dnnl::convolution_forward::primitive_desc& hint, const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
  const auto& [s, d, l, r] = win;
#if DNNL_VERSION_MAJOR >= 3
  return {eng, alg, diffSrc, weights, diffDst, s, d, l, r, hint, attr};
#else
  return {dnnl::convolution_backward_data::desc(alg, diffSrc, weights, diffDst, s, d, l, r), attr, eng, hint};
#endif
}

// The filter gradient of a convolution, with its forward primitive as the hint; `diffBias` may
// be null (no bias gradient).
inline dnnl::convolution_backward_weights::primitive_desc ConvolutionBackwardWeights(
    const dnnl::engine& eng, dnnl::algorithm alg, const dnnl::memory::desc& src,
    const dnnl::memory::desc& diffWeights, const dnnl::memory::desc* diffBias, const dnnl::memory::desc& diffDst,
    const ConvWindow& win, const dnnl::convolution_forward::primitive_desc& hint,
    const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
  const auto& [s, d, l, r] = win;
#if DNNL_VERSION_MAJOR >= 3
  if (diffBias) return {eng, alg, src, diffWeights, *diffBias, diffDst, s, d, l, r, hint, attr};
  return {eng, alg, src, diffWeights, diffDst, s, d, l, r, hint, attr};
#else
  using Desc = dnnl::convolution_backward_weights::desc;
  if (diffBias) return {Desc(alg, src, diffWeights, *diffBias, diffDst, s, d, l, r), attr, eng, hint};
  return {Desc(alg, src, diffWeights, diffDst, s, d, l, r), attr, eng, hint};
#endif
}

// An elementwise function with y in x's layout (2.x has no other: one `data` descriptor for both).
inline dnnl::eltwise_forward::primitive_desc EltwiseForward(const dnnl::engine& eng, dnnl::prop_kind prop,
                                                            dnnl::algorithm alg, const dnnl::memory::desc& data,
                                                            float alpha, float beta,
                                                            const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
#if DNNL_VERSION_MAJOR >= 3
  return {eng, prop, alg, data, data, alpha, beta, attr};
#else
  return {dnnl::eltwise_forward::desc(prop, alg, data, alpha, beta), attr, eng};
#endif
}

}  // namespace onednn_addon::dnnl_compat
