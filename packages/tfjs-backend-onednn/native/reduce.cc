// Reductions over one contiguous run of axes, seen as x[outer][reduced][inner].
// The TypeScript side splits any axis set into such runs. oneDNN 2.6 reduces
// over outer axes with a slow reference kernel; these loops stream memory
// once and accumulate sums in double so long reductions stay accurate.
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

enum ReduceOp { kSum = 0, kMax = 1, kMin = 2, kProd = 3 };

// Reduces rows [r0, r1) of block `block` (x[block][red][inner]) into acc[inner], starting from row r0.
template <typename Acc, typename F>
GANTRY_VECTOR_CLONES void ReduceRange(const float* x, int64_t red, int64_t inner, int64_t block, int64_t r0, int64_t r1,
                                      Acc* acc, F combine) {
  const float* base = x + block * red * inner;
  if (inner == 1) {
    Acc a = base[r0];
    for (int64_t r = r0 + 1; r < r1; ++r) a = combine(a, static_cast<Acc>(base[r]));
    acc[0] = a;
    return;
  }
  const float* first = base + r0 * inner;
  for (int64_t j = 0; j < inner; ++j) acc[j] = first[j];
  for (int64_t r = r0 + 1; r < r1; ++r) {
    const float* row = base + r * inner;
    for (int64_t j = 0; j < inner; ++j) acc[j] = combine(acc[j], static_cast<Acc>(row[j]));
  }
}

// How many ranges a sum over `rows` rows is cut into on `threads` threads; their partial sums
// are added in range order. ActivationGradSum below cuts its rows the same way, for the same bits.
int RowRanges(int64_t rows, int threads) { return (threads > 1 && rows >= 2 * threads) ? threads : 1; }

template <typename Acc, typename F>
void ReduceRuns(const float* x, float* y, int64_t outer, int64_t red, int64_t inner, float scale,
                F combine) {
  const int threads = ThreadsForElements(outer * red * inner);
  if (threads > 1 && outer >= threads) {
    // whole blocks per thread
    ParallelRanges(outer, threads, [&](int64_t o0, int64_t o1, int) {
      std::vector<Acc> acc(inner);
      for (int64_t o = o0; o < o1; ++o) {
        ReduceRange(x, red, inner, o, 0, red, acc.data(), combine);
        for (int64_t j = 0; j < inner; ++j) y[o * inner + j] = static_cast<float>(acc[j] * scale);
      }
    });
    return;
  }
  const int parts = RowRanges(red, threads);
  // the reduced axis in `parts` ranges, their results combined in range order
  const int64_t stride = PaddedStride<Acc>(inner);
  std::vector<Acc> partial(parts * stride);
  for (int64_t o = 0; o < outer; ++o) {
    ParallelRanges(red, parts, [&](int64_t r0, int64_t r1, int part) {
      ReduceRange(x, red, inner, o, r0, r1, partial.data() + part * stride, combine);
    });
    for (int64_t j = 0; j < inner; ++j) {
      Acc a = partial[j];
      for (int part = 1; part < parts; ++part) a = combine(a, partial[part * stride + j]);
      y[o * inner + j] = static_cast<float>(a * scale);
    }
  }
}

// reduce(op, x, y, outer, reduced, inner, scale): y = scale * reduce(x)
napi_value ReduceCall(Args& a) {
  int op = static_cast<int>(a.Int(0, "op", 0, 3));
  int64_t outer = a.Int(3, "outer", 1), red = a.Int(4, "reduced", 1), inner = a.Int(5, "inner", 1);
  const float* x = a.F32(1, "x", outer * red * inner);
  float* y = a.F32(2, "y", outer * inner);
  float scale = static_cast<float>(a.Num(6, "scale"));
  switch (op) {
    case kSum:
      ReduceRuns<double>(x, y, outer, red, inner, scale, [](double s, double v) { return s + v; });
      break;
    case kMax:
      ReduceRuns<float>(x, y, outer, red, inner, scale,
                        [](float m, float v) { return (v > m || std::isnan(v)) ? v : m; });
      break;
    case kMin:
      ReduceRuns<float>(x, y, outer, red, inner, scale,
                        [](float m, float v) { return (v < m || std::isnan(v)) ? v : m; });
      break;
    case kProd:
      ReduceRuns<double>(x, y, outer, red, inner, scale, [](double p, double v) { return p * v; });
      break;
  }
  return Undefined(a.env);
}

// g = y > 0 ? dy : alpha * dy over rows [r0, r1) of c channels, and g's per-channel sums over
// those rows into acc, in the order and precision of ReduceRange (the first row, then each row
// added in double).
GANTRY_VECTOR_CLONES void ActivationGradSumRange(const float* dy, const float* y, float* g, int64_t c, int64_t r0,
                                                 int64_t r1, float alpha, double* acc) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* dyr = dy + r * c;
    const float* yr = y + r * c;
    float* gr = g + r * c;
    if (r == r0) {
      for (int64_t j = 0; j < c; ++j) {
        const float v = yr[j] > 0.f ? dyr[j] : alpha * dyr[j];
        gr[j] = v;
        acc[j] = v;
      }
    } else {
      for (int64_t j = 0; j < c; ++j) {
        const float v = yr[j] > 0.f ? dyr[j] : alpha * dyr[j];
        gr[j] = v;
        acc[j] += v;
      }
    }
  }
}

// activationGradSum(dy, y, g, sum, rows, channels, alpha): the gradient of a convolution's
// output taken back through its relu or leaky relu (slope alpha below zero; y the activated
// output), and that gradient's sum over rows (the bias gradient), in one pass over dy and y.
// The values are those of the separate leaky relu gradient and sum kernels, bit for bit: the
// rows are cut into the same ranges (RowRanges) and the ranges added in order.
napi_value ActivationGradSum(Args& a) {
  const int64_t rows = a.Int(4, "rows", 1), c = a.Int(5, "channels", 1);
  const float* dy = a.F32(0, "dy", rows * c);
  const float* y = a.F32(1, "y", rows * c);
  float* g = a.F32(2, "g", rows * c);
  float* sum = a.F32(3, "sum", c);
  const float alpha = static_cast<float>(a.Num(6, "alpha"));
  const int parts = RowRanges(rows, ThreadsForElements(rows * c));
  const int64_t stride = PaddedStride<double>(c);
  std::vector<double> partial(parts * stride);
  ParallelRanges(rows, parts, [&](int64_t r0, int64_t r1, int part) {
    ActivationGradSumRange(dy, y, g, c, r0, r1, alpha, partial.data() + part * stride);
  });
  for (int64_t j = 0; j < c; ++j) {
    double s = partial[j];
    for (int part = 1; part < parts; ++part) s += partial[part * stride + j];
    sum[j] = static_cast<float>(s);
  }
  return Undefined(a.env);
}

ONEDNN_CALLBACK(ReduceCb, "reduce", 7, ReduceCall)
ONEDNN_CALLBACK(ActivationGradSumCb, "activationGradSum", 7, ActivationGradSum)

}  // namespace

void RegisterReduce(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "reduce", ReduceCb);
  ExportFunction(env, exports, "activationGradSum", ActivationGradSumCb);
}

}  // namespace onednn_addon
