// Data movement: transpose and tile as strided copies.
#include <string>
#include <vector>

#include "args.h"
#include "families.h"

namespace onednn_addon {
namespace {

// Copies out[idx] = x[sum(idx[d] * srcStrides[d])] over outShape, innermost
// axis in a tight loop.
void StridedCopy(const float* x, float* out, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& src) {
  size_t rank = shape.size();
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  int64_t inner = shape[rank - 1], is = src[rank - 1];
  size_t outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d) outer *= shape[d];
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (size_t o = 0; o < outer; ++o) {
    const float* xs = x + off;
    float* os = out + o * inner;
    if (is == 1) {
      for (int64_t j = 0; j < inner; ++j) os[j] = xs[j];
    } else {
      for (int64_t j = 0; j < inner; ++j) os[j] = xs[j * is];
    }
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += src[d];
        break;
      }
      off -= src[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

// transpose(x, xShape, perm, out)
napi_value Transpose(Args& a) {
  auto shape = a.Ints(1, "xShape");
  auto perm = a.Ints(2, "perm", shape.size());
  size_t rank = shape.size();
  std::vector<int64_t> stride(rank, 1);
  size_t total = 1;
  for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
    if (shape[d] < 0) a.Fail("xShape", "has a negative dimension");
    stride[d] = total;
    total *= shape[d];
  }
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> outShape(rank), src(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(rank) || seen[perm[d]]) {
      a.Fail("perm", "is not a permutation of the axes");
    }
    seen[perm[d]] = true;
    outShape[d] = shape[perm[d]];
    src[d] = stride[perm[d]];
  }
  const float* x = a.F32(0, "x", total);
  float* out = a.F32(3, "out", total);
  if (total > 0) StridedCopy(x, out, outShape, src);
  return Undefined(a.env);
}

ONEDNN_CALLBACK(TransposeCb, "transpose", 4, Transpose)

}  // namespace

void RegisterLayout(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "transpose", TransposeCb);
}

}  // namespace onednn_addon
