// Batch normalisation over all axes but the last (channels-last), seen as
// x[rows][channels]: training forward with batch statistics, its complete
// backward in one pass over the data, and inference with given statistics.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "activation.h"
#include "args.h"
#include "families.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

// x's layout as [rows][channels]: the channel count (argument `channelsArg`), x's
// element count (argument `xArg`) and the row count.
struct RowLayout {
  int64_t channels;
  size_t size;
  int64_t rows;
};

// Per-channel sums of two quantities over all rows, on the configured threads: each thread
// sums its own range of rows (rows(r0, r1, s1, s2) adds its range's sums into s1 and s2), and
// the ranges are added in order (the same bits every run with the same thread count).
template <typename RowSums>
void ChannelSums(int64_t rows, int64_t c, int threads, std::vector<double>& s1, std::vector<double>& s2, RowSums rowSums) {
  const int64_t stride = PaddedStride<double>(c);
  std::vector<double> part1(threads * stride, 0.0), part2(threads * stride, 0.0);
  ParallelRanges(rows, threads, [&](int64_t r0, int64_t r1, int part) {
    rowSums(r0, r1, part1.data() + part * stride, part2.data() + part * stride);
  });
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int part = 0; part < threads; ++part) {
    for (int64_t j = 0; j < c; ++j) {
      s1[j] += part1[part * stride + j];
      s2[j] += part2[part * stride + j];
    }
  }
}

struct TermPair {
  double first, second;
};

// Adds the sums over rows [r0, r1) of term(i, j) (a pair, for element i = r * c + j of channel
// j) into s1 and s2. Rows go in blocks of kSumRows; within a block, 16 channels at a time are
// summed in registers, two rows at a time in two sets of sums, so that a row's adds do not
// wait on the previous row's. (Adding every row into s1 and s2 in memory made each row wait
// for the last row's stores: half the speed, or less, on 16 channels.)
constexpr int64_t kSumRows = 64;

template <typename Term>
__attribute__((always_inline)) inline void SumRows(int64_t r0, int64_t r1, int64_t c, double* s1, double* s2, Term term) {
  for (int64_t rb = r0; rb < r1; rb += kSumRows) {
    const int64_t re = std::min(r1, rb + kSumRows);
    int64_t j0 = 0;
    for (; j0 + 16 <= c; j0 += 16) {
      double a1[16] = {}, a2[16] = {}, b1[16] = {}, b2[16] = {};
      int64_t r = rb;
      for (; r + 2 <= re; r += 2) {
        const int64_t i = r * c + j0;
        for (int k = 0; k < 16; ++k) {
          const TermPair u = term(i + k, j0 + k), v = term(i + c + k, j0 + k);
          a1[k] += u.first;
          a2[k] += u.second;
          b1[k] += v.first;
          b2[k] += v.second;
        }
      }
      for (; r < re; ++r) {
        for (int k = 0; k < 16; ++k) {
          const TermPair u = term(r * c + j0 + k, j0 + k);
          a1[k] += u.first;
          a2[k] += u.second;
        }
      }
      for (int k = 0; k < 16; ++k) {
        s1[j0 + k] += a1[k] + b1[k];
        s2[j0 + k] += a2[k] + b2[k];
      }
    }
    for (; j0 < c; ++j0) {
      double a1 = 0.0, a2 = 0.0;
      for (int64_t r = rb; r < re; ++r) {
        const TermPair u = term(r * c + j0, j0);
        a1 += u.first;
        a2 += u.second;
      }
      s1[j0] += a1;
      s2[j0] += a2;
    }
  }
}

RowLayout Rows(Args& a, int xArg, int channelsArg) {
  int64_t c = a.Int(channelsArg, "channels", 1);
  size_t n = a.Length(xArg, "x");
  if (n % c != 0) a.Fail("x", "size is not a multiple of channels");
  return {c, n, static_cast<int64_t>(n / c)};
}

// The activation a training batchnorm may apply to its output: 0 none, 1 relu, 3 leaky relu
// (the codes of activation.h). NaN stays NaN, as in the separate kernels.
template <int Act>
inline float Activate(float v, float alpha) {
  if (Act == kRelu) return v < 0.f ? 0.f : v;
  if (Act == kLeakyRelu) return v > 0.f ? v : alpha * v;
  return v;
}

// The gradient at the batchnorm's output when an activation followed it, read from the
// activated output y (y > 0 exactly where the batchnorm's output is > 0): the values of the
// separate leaky relu gradient kernel (relu: alpha 0). A template flag, so that the loops
// without an activation stay as they were and both vectorise.
template <bool HasY>
inline float ThroughActivation(float dy, const float* y, size_t i, float alpha) {
  if constexpr (HasY) return y[i] > 0.f ? dy : alpha * dy;
  return dy;
}

// The loops over rows, compiled for each vector width (GANTRY_VECTOR_CLONES).

// x's per-channel sums and sums of squares over rows [r0, r1), added into s1 and s2.
GANTRY_VECTOR_CLONES void MomentSums(const float* x, int64_t c, int64_t r0, int64_t r1, double* s1, double* s2) {
  SumRows(r0, r1, c, s1, s2, [x](int64_t i, int64_t) {
    const double v = x[i];
    return TermPair{v, v * v};
  });
}

// The gradient's per-channel sums over rows [r0, r1): of g (dy taken back through the
// activation when y is given) and of g * (x - mean).
template <bool HasY>
GANTRY_VECTOR_CLONES void GradientSums(const float* dy, const float* x, const float* y, const float* mean, float alpha,
                                       int64_t c, int64_t r0, int64_t r1, double* s1, double* s2) {
  SumRows(r0, r1, c, s1, s2, [&](int64_t i, int64_t j) {
    const double g = ThroughActivation<HasY>(dy[i], y, i, alpha);
    return TermPair{g, g * (x[i] - mean[j])};
  });
}

// y = Act(x * scale + shift) per channel, rows [r0, r1).
template <int Act>
GANTRY_VECTOR_CLONES void ScaleShiftRows(const float* x, float* y, const float* scale, const float* shift, float alpha,
                                         int64_t c, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (int64_t j = 0; j < c; ++j) yr[j] = Activate<Act>(xr[j] * scale[j] + shift[j], alpha);
  }
}

// dx = k1 * g + k2 * (x - mean) + k3 per channel, rows [r0, r1).
template <bool HasY>
GANTRY_VECTOR_CLONES void GradientRows(const float* dy, const float* x, const float* y, const float* mean, const float* k1,
                                       const float* k2, const float* k3, float alpha, float* dx, int64_t c, int64_t r0,
                                       int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    float* dxr = dx + r * c;
    for (int64_t j = 0; j < c; ++j) {
      float g = ThroughActivation<HasY>(dyr[j], y, r * c + j, alpha);
      dxr[j] = k1[j] * g + k2[j] * (xr[j] - mean[j]) + k3[j];
    }
  }
}

int ActivationArg(Args& a, size_t i) {
  int64_t act = a.Int(i, "activation", 0, 3);
  if (act != kLinear && act != kRelu && act != kLeakyRelu) a.Fail("activation", "must be 0 (none), 1 (relu) or 3 (leaky relu)");
  return static_cast<int>(act);
}

// batchNormTrain(x, gamma, beta, y, mean, variance, channels, epsilon, activation, alpha)
// variance is the biased batch variance; y is activated.
napi_value BatchNormTrain(Args& a) {
  const RowLayout layout = Rows(a, 0, 6);
  const int64_t c = layout.channels, rows = layout.rows;
  const size_t n = layout.size;
  const float* x = a.F32(0, "x");
  const float* gamma = a.F32(1, "gamma", c);
  const float* beta = a.F32(2, "beta", c);
  float* y = a.F32(3, "y", n);
  float* mean = a.F32(4, "mean", c);
  float* var = a.F32(5, "variance", c);
  double eps = a.Num(7, "epsilon");
  const int act = ActivationArg(a, 8);
  const float alpha = static_cast<float>(a.Num(9, "alpha"));

  const int threads = ThreadsForElements(n);
  std::vector<double> sum, sq;
  ChannelSums(rows, c, threads, sum, sq, [&](int64_t r0, int64_t r1, double* s1, double* s2) {
    MomentSums(x, c, r0, r1, s1, s2);
  });
  std::vector<float> scale(c), shift(c);
  for (int64_t j = 0; j < c; ++j) {
    double m = sum[j] / rows;
    double v = sq[j] / rows - m * m;
    if (v < 0) v = 0;
    mean[j] = static_cast<float>(m);
    var[j] = static_cast<float>(v);
    double s = gamma[j] / std::sqrt(v + eps);
    scale[j] = static_cast<float>(s);
    shift[j] = static_cast<float>(beta[j] - m * s);
  }
  auto normalize = [&](auto actTag) {
    constexpr int Act = decltype(actTag)::value;
    ParallelRanges(rows, threads, [&](int64_t r0, int64_t r1, int) {
      ScaleShiftRows<Act>(x, y, scale.data(), shift.data(), alpha, c, r0, r1);
    });
  };
  if (act == kRelu) normalize(std::integral_constant<int, kRelu>{});
  else if (act == kLeakyRelu) normalize(std::integral_constant<int, kLeakyRelu>{});
  else normalize(std::integral_constant<int, kLinear>{});
  return Undefined(a.env);
}

// batchNormTrainGrad(dy, x, gamma, mean, variance, dmean|null, dvariance|null,
//                    dx, dgamma, dbeta, channels, epsilon, y|null, alpha)
// dmean/dvariance are the gradients flowing into the statistics outputs. With y (the output of
// a batchnorm with an activation), dy is the gradient at y and first goes back through the
// activation (slope alpha below zero; 0 for relu).
napi_value BatchNormTrainGrad(Args& a) {
  const RowLayout layout = Rows(a, 1, 10);
  const int64_t c = layout.channels, rows = layout.rows;
  const size_t n = layout.size;
  const float* dy = a.F32(0, "dy", n);
  const float* x = a.F32(1, "x");
  const float* gamma = a.F32(2, "gamma", c);
  const float* mean = a.F32(3, "mean", c);
  const float* var = a.F32(4, "variance", c);
  const float* dmean = a.F32OrNull(5, "dmean", c);
  const float* dvar = a.F32OrNull(6, "dvariance", c);
  float* dx = a.F32(7, "dx", n);
  float* dgamma = a.F32(8, "dgamma", c);
  float* dbeta = a.F32(9, "dbeta", c);
  double eps = a.Num(11, "epsilon");
  const float* y = a.F32OrNull(12, "y", n);
  const float alpha = static_cast<float>(a.Num(13, "alpha"));

  const int threads = ThreadsForElements(n);
  std::vector<double> sdy, sdyx;
  auto sums = [&](auto hasY) {
    constexpr bool HasY = decltype(hasY)::value;
    ChannelSums(rows, c, threads, sdy, sdyx, [&](int64_t r0, int64_t r1, double* s1, double* s2) {
      GradientSums<HasY>(dy, x, y, mean, alpha, c, r0, r1, s1, s2);
    });
  };
  if (y) sums(std::true_type{});
  else sums(std::false_type{});
  // dx = k1 * dy + k2 * (x - mean) + k3, per channel
  std::vector<float> k1(c), k2(c), k3(c);
  for (int64_t j = 0; j < c; ++j) {
    double invstd = 1.0 / std::sqrt(var[j] + eps);
    double dg = sdyx[j] * invstd;
    dbeta[j] = static_cast<float>(sdy[j]);
    dgamma[j] = static_cast<float>(dg);
    double gi = gamma[j] * invstd;
    double dv = dvar ? dvar[j] : 0.0;
    double dm = dmean ? dmean[j] : 0.0;
    k1[j] = static_cast<float>(gi);
    k2[j] = static_cast<float>(-gi * dg * invstd / rows + 2.0 * dv / rows);
    k3[j] = static_cast<float>(-gi * sdy[j] / rows + dm / rows);
  }
  auto apply = [&](auto hasY) {
    constexpr bool HasY = decltype(hasY)::value;
    ParallelRanges(rows, threads, [&](int64_t r0, int64_t r1, int) {
      GradientRows<HasY>(dy, x, y, mean, k1.data(), k2.data(), k3.data(), alpha, dx, c, r0, r1);
    });
  };
  if (y) apply(std::true_type{});
  else apply(std::false_type{});
  return Undefined(a.env);
}

float At(const float* p, size_t len, int64_t j) { return len == 1 ? p[0] : p[j]; }

// batchNormInfer(x, mean, variance, offset|null, scale|null, y, channels, epsilon)
// Each parameter has `channels` elements or one.
napi_value BatchNormInfer(Args& a) {
  const RowLayout layout = Rows(a, 0, 6);
  const int64_t c = layout.channels, rows = layout.rows;
  const size_t n = layout.size;
  const float* x = a.F32(0, "x");
  const float* mean = a.F32(1, "mean");
  const float* var = a.F32(2, "variance");
  const float* offset = a.F32OrNull(3, "offset");
  const float* scale = a.F32OrNull(4, "scale");
  size_t lm = a.Length(1, "mean"), lv = a.Length(2, "variance");
  size_t lo = offset ? a.Length(3, "offset") : 1, ls = scale ? a.Length(4, "scale") : 1;
  auto check = [&](size_t len, const char* name) {
    if (len != 1 && len != static_cast<size_t>(c)) a.Fail(name, "must have channels or 1 elements");
  };
  check(lm, "mean");
  check(lv, "variance");
  check(lo, "offset");
  check(ls, "scale");
  float* y = a.F32(5, "y", n);
  double eps = a.Num(7, "epsilon");
  std::vector<float> mul(c), add(c);
  for (int64_t j = 0; j < c; ++j) {
    double s = (scale ? At(scale, ls, j) : 1.0) / std::sqrt(At(var, lv, j) + eps);
    mul[j] = static_cast<float>(s);
    add[j] = static_cast<float>((offset ? At(offset, lo, j) : 0.0) - At(mean, lm, j) * s);
  }
  ScaleShiftRows<kLinear>(x, y, mul.data(), add.data(), 0.f, c, 0, rows);
  return Undefined(a.env);
}

ONEDNN_CALLBACK(BatchNormTrainCb, "batchNormTrain", 10, BatchNormTrain)
ONEDNN_CALLBACK(BatchNormTrainGradCb, "batchNormTrainGrad", 14, BatchNormTrainGrad)
ONEDNN_CALLBACK(BatchNormInferCb, "batchNormInfer", 8, BatchNormInfer)

}  // namespace

void RegisterBatchnorm(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "batchNormTrain", BatchNormTrainCb);
  ExportFunction(env, exports, "batchNormTrainGrad", BatchNormTrainGradCb);
  ExportFunction(env, exports, "batchNormInfer", BatchNormInferCb);
}

}  // namespace onednn_addon
