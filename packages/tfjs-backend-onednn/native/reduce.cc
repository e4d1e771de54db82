// Reductions over one contiguous run of axes, seen as x[outer][reduced][inner].
// The TypeScript side splits any axis set into such runs. oneDNN 2.6 reduces
// over outer axes with a slow reference kernel; these loops stream memory
// once and accumulate sums in double so long reductions stay accurate.
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "families.h"

namespace onednn_addon {
namespace {

enum ReduceOp { kSum = 0, kMax = 1, kMin = 2, kProd = 3 };

template <typename Acc, typename F>
void ReduceRuns(const float* x, float* y, int64_t outer, int64_t red, int64_t inner, float scale,
                F combine) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = x + o * red;
      Acc acc = row[0];
      for (int64_t r = 1; r < red; ++r) acc = combine(acc, static_cast<Acc>(row[r]));
      y[o] = static_cast<float>(acc * scale);
    }
    return;
  }
  std::vector<Acc> acc(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const float* block = x + o * red * inner;
    for (int64_t j = 0; j < inner; ++j) acc[j] = block[j];
    for (int64_t r = 1; r < red; ++r) {
      const float* row = block + r * inner;
      for (int64_t j = 0; j < inner; ++j) acc[j] = combine(acc[j], static_cast<Acc>(row[j]));
    }
    float* out = y + o * inner;
    for (int64_t j = 0; j < inner; ++j) out[j] = static_cast<float>(acc[j] * scale);
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

ONEDNN_CALLBACK(ReduceCb, "reduce", 7, ReduceCall)

}  // namespace

void RegisterReduce(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "reduce", ReduceCb);
}

}  // namespace onednn_addon
