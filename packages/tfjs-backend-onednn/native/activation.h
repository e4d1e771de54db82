// Fused activations for matmul and conv, applied after the product, written as TF.js's cpu
// kernels are so that NaN stays NaN. The codes are ActivationCode in src/kernels/eltwise_ops.ts
// (a test checks that the two agree).
#pragma once

#include <cmath>
#include <cstddef>

namespace onednn_addon {

enum ActivationCode { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kSigmoid = 4, kElu = 5 };

inline void ApplyActivation(float* y, size_t n, int act, float alpha) {
  switch (act) {
    case kRelu:
      for (size_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i];  // NaN stays NaN
      break;
    case kRelu6:
      for (size_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : (y[i] > 6.f ? 6.f : y[i]);
      break;
    case kLeakyRelu:
      for (size_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : alpha * y[i];
      break;
    case kSigmoid:
      for (size_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-y[i]));
      break;
    case kElu:
      for (size_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : std::expm1(y[i]);
      break;
    default:
      break;
  }
}

}  // namespace onednn_addon
