// Elementwise ops: unary math and activations, binary ops with numpy-style
// broadcasting, comparisons (bool output), activation gradients, Select and
// AddN. These are memory-bound and tiny next to conv/GEMM, so they are plain
// single-threaded loops: no primitive creation, no OpenMP fork/join.
// Op codes match src/kernels/eltwise_ops.ts.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "args.h"
#include "dnnl_compat.h"
#include "families.h"
#include "primitive_cache.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

// ---- unary ----------------------------------------------------------------

template <typename F>
GANTRY_VECTOR_CLONES void MapRange(const float* x, float* y, int64_t begin, int64_t end, F f) {
  for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
}

template <typename F>
void Map(const float* x, float* y, size_t n, F f) {
  ParallelRanges(static_cast<int64_t>(n), ThreadsForElements(n),
                 [&](int64_t begin, int64_t end, int) { MapRange(x, y, begin, end, f); });
}

// tanh and the logistic function through oneDNN's vectorised eltwise kernels, on one thread:
// libm's scalar tanhf took about 12 ns an element (5 ms for a batch of 64x64 colour images).
struct EltwiseEntry {
  dnnl::eltwise_forward prim;
  dnnl::memory x, y;
};
PrimitiveCache<EltwiseEntry> g_eltwise;

// oneDNN's tanh on aarch64 turns NaN into 1 (x86-64's keeps it); TF.js keeps NaN, and
// divergence detection relies on it: a NaN input gives a NaN output on every CPU.
GANTRY_VECTOR_CLONES void KeepNaN(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] != x[i] ? x[i] : y[i];
}

void OnednnEltwise(dnnl::algorithm alg, const float* x, float* y, size_t n) {
  using dnnl::memory;
  CacheKey key = {static_cast<double>(alg), static_cast<double>(n)};
  EltwiseEntry* e = g_eltwise.Find(key);
  if (e == nullptr) {
    auto& eng = CpuEngine();
    memory::desc md({static_cast<memory::dim>(n)}, memory::data_type::f32, memory::format_tag::a);
    auto entry = std::make_unique<EltwiseEntry>();
    entry->prim = dnnl::eltwise_forward(
        dnnl_compat::EltwiseForward(eng, dnnl::prop_kind::forward_inference, alg, md, 0.f, 0.f));
    entry->x = memory(md, eng, nullptr);
    entry->y = memory(md, eng, nullptr);
    e = g_eltwise.Insert(key, std::move(entry));
  }
  e->x.set_data_handle(const_cast<float*>(x));
  e->y.set_data_handle(y);
  UseThreads(1);
  e->prim.execute(CpuStream(), {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->y}});
  CpuStream().wait();
  KeepNaN(x, y, n);
}

// Below this many elements the scalar loop is faster than a primitive call.
constexpr size_t kEltwisePrimitiveMin = 4096;

void Unary(Args& a, int op, const float* x, float* y, size_t n, float alpha) {
  if (n >= kEltwisePrimitiveMin && (op == 11 || op == 12)) {
    OnednnEltwise(op == 11 ? dnnl::algorithm::eltwise_logistic : dnnl::algorithm::eltwise_tanh, x, y, n);
    return;
  }
  switch (op) {
    case 0: Map(x, y, n, [](float v) { return -v; }); break;
    case 1: Map(x, y, n, [](float v) { return std::fabs(v); }); break;
    case 2: Map(x, y, n, [](float v) { return v * v; }); break;
    case 3: Map(x, y, n, [](float v) { return std::sqrt(v); }); break;
    case 4: Map(x, y, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case 5: Map(x, y, n, [](float v) { return std::exp(v); }); break;
    case 6: Map(x, y, n, [](float v) { return std::log(v); }); break;
    case 7: Map(x, y, n, [](float v) { return std::log1p(v); }); break;
    case 8:  // softplus, stable form
      Map(x, y, n, [](float v) { return (v > 0.f ? v : 0.f) + std::log1p(std::exp(-std::fabs(v))); });
      break;
    case 9: Map(x, y, n, [](float v) { return v < 0.f ? 0.f : v; }); break;  // NaN stays NaN
    case 10: Map(x, y, n, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); }); break;
    case 11: Map(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); }); break;
    case 12: Map(x, y, n, [](float v) { return std::tanh(v); }); break;
    case 13: Map(x, y, n, [](float v) { return v > 0.f ? v : std::expm1(v); }); break;
    case 14:  // Step: 1 where x > 0, alpha elsewhere, NaN stays NaN
      Map(x, y, n, [alpha](float v) { return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); });
      break;
    case 15: Map(x, y, n, [alpha](float v) { return v > 0.f ? v : alpha * v; }); break;
    case 16: Map(x, y, n, [](float v) { return 1.f / v; }); break;
    case 17: Map(x, y, n, [](float v) { return std::expm1(v); }); break;
    default: a.Fail("op", "is not a known unary op code");
  }
}

// unary(op, x, y, alpha)
napi_value UnaryCall(Args& a) {
  int op = static_cast<int>(a.Int(0, "op", 0, 255));
  size_t n = a.Length(1, "x");
  const float* x = a.F32(1, "x");
  float* y = a.F32(2, "y", n);
  Unary(a, op, x, y, n, static_cast<float>(a.Num(3, "alpha")));
  return Undefined(a.env);
}

// ---- binary with broadcasting --------------------------------------------

// Output shape plus element strides of both inputs (0 on broadcast axes),
// with adjacent axes merged where both inputs allow it.
struct Broadcast {
  std::vector<int64_t> shape, sa, sb;
};

Broadcast Collapse(const std::vector<int64_t>& shape, const std::vector<int64_t>& sa,
                   const std::vector<int64_t>& sb) {
  Broadcast r;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;  // size-1 axes do not move the iterator
    if (!r.shape.empty()) {
      int64_t n = shape[i];
      bool mergeA = r.sa.back() == sa[i] * n;
      bool mergeB = r.sb.back() == sb[i] * n;
      if (mergeA && mergeB) {
        r.shape.back() *= n;
        r.sa.back() = sa[i];
        r.sb.back() = sb[i];
        continue;
      }
    }
    r.shape.push_back(shape[i]);
    r.sa.push_back(sa[i]);
    r.sb.push_back(sb[i]);
  }
  if (r.shape.empty()) {
    r.shape.push_back(1);
    r.sa.push_back(0);
    r.sb.push_back(0);
  }
  return r;
}

// Rows [o0, o1) of the outer axes.
template <typename Out, typename F>
GANTRY_VECTOR_CLONES void BinaryRows(const float* A, const float* B, Out* C, const Broadcast& bc, F f, int64_t o0, int64_t o1) {
  size_t rank = bc.shape.size();
  int64_t inner = bc.shape[rank - 1];
  int64_t ia = bc.sa[rank - 1], ib = bc.sb[rank - 1];
  // the multi-index of row o0 over the outer axes, and its offsets
  std::vector<int64_t> idx(rank, 0);
  int64_t offA = 0, offB = 0;
  for (int64_t d = static_cast<int64_t>(rank) - 2, rest = o0; d >= 0; --d) {
    idx[d] = rest % bc.shape[d];
    rest /= bc.shape[d];
    offA += idx[d] * bc.sa[d];
    offB += idx[d] * bc.sb[d];
  }
  for (int64_t o = o0; o < o1; ++o) {
    const float* a = A + offA;
    const float* b = B + offB;
    Out* c = C + o * inner;
    if (ia == 1 && ib == 1) {
      for (int64_t j = 0; j < inner; ++j) c[j] = f(a[j], b[j]);
    } else if (ia == 1 && ib == 0) {
      float bv = b[0];
      for (int64_t j = 0; j < inner; ++j) c[j] = f(a[j], bv);
    } else if (ia == 0 && ib == 1) {
      float av = a[0];
      for (int64_t j = 0; j < inner; ++j) c[j] = f(av, b[j]);
    } else {
      for (int64_t j = 0; j < inner; ++j) c[j] = f(a[j * ia], b[j * ib]);
    }
    // advance the multi-index over the outer axes
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (++idx[d] < bc.shape[d]) {
        offA += bc.sa[d];
        offB += bc.sb[d];
        break;
      }
      offA -= bc.sa[d] * (bc.shape[d] - 1);
      offB -= bc.sb[d] * (bc.shape[d] - 1);
      idx[d] = 0;
    }
  }
}

template <typename Out, typename F>
void BinaryLoop(const float* A, const float* B, Out* C, const Broadcast& bc, F f) {
  size_t rank = bc.shape.size();
  int64_t inner = bc.shape[rank - 1];
  int64_t outer = 1;
  for (size_t i = 0; i + 1 < rank; ++i) outer *= bc.shape[i];
  int threads = ThreadsForElements(outer * inner);
  if (threads > 1 && outer >= threads) {
    ParallelRanges(outer, threads, [&](int64_t o0, int64_t o1, int) { BinaryRows(A, B, C, bc, f, o0, o1); });
  } else if (threads > 1 && rank == 1) {
    // one long run: split it
    ParallelRanges(inner, threads, [&](int64_t j0, int64_t j1, int) {
      Broadcast piece = bc;
      piece.shape[0] = j1 - j0;
      BinaryRows(A + j0 * bc.sa[0], B + j0 * bc.sb[0], C + j0, piece, f, 0, 1);
    });
  } else {
    BinaryRows(A, B, C, bc, f, 0, outer);
  }
}

bool IsComparison(int op) { return op >= 10 && op < 20; }

template <typename F>
void Float(const float* A, const float* B, float* C, const Broadcast& bc, F f) {
  BinaryLoop<float>(A, B, C, bc, f);
}
template <typename F>
void Bool(const float* A, const float* B, uint8_t* C, const Broadcast& bc, F f) {
  BinaryLoop<uint8_t>(A, B, C, bc, f);
}

// binary(op, a, b, out, outShape, aStrides, bStrides, alpha)
napi_value BinaryCall(Args& a) {
  int op = static_cast<int>(a.Int(0, "op", 0, 255));
  auto shape = a.Ints(4, "outShape");
  auto sa = a.Ints(5, "aStrides", shape.size());
  auto sb = a.Ints(6, "bStrides", shape.size());
  float alpha = static_cast<float>(a.Num(7, "alpha"));
  size_t total = 1, needA = 1, needB = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) a.Fail("outShape", "has a negative dimension");
    total *= shape[i];
    if (shape[i] > 0) {
      needA += sa[i] * (shape[i] - 1);
      needB += sb[i] * (shape[i] - 1);
    }
  }
  size_t lenA = a.Length(1, "a"), lenB = a.Length(2, "b");
  if (total == 0) return Undefined(a.env);
  if (lenA < needA) a.Fail("a", "is too small for its strides");
  if (lenB < needB) a.Fail("b", "is too small for its strides");
  const float* A = a.F32(1, "a");
  const float* B = a.F32(2, "b");
  Broadcast bc = Collapse(shape, sa, sb);
  if (IsComparison(op)) {
    uint8_t* C = a.U8(3, "out", total);
    switch (op) {
      case 10: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x > y; }); break;
      case 11: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x >= y; }); break;
      case 12: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x < y; }); break;
      case 13: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x <= y; }); break;
      case 14: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x == y; }); break;
      case 15: Bool(A, B, C, bc, [](float x, float y) -> uint8_t { return x != y; }); break;
      default: a.Fail("op", "is not a known comparison code");
    }
    return Undefined(a.env);
  }
  float* C = a.F32(3, "out", total);
  switch (op) {
    case 0: Float(A, B, C, bc, [](float x, float y) { return x + y; }); break;
    case 1: Float(A, B, C, bc, [](float x, float y) { return x - y; }); break;
    case 2: Float(A, B, C, bc, [](float x, float y) { return x * y; }); break;
    case 3: Float(A, B, C, bc, [](float x, float y) { return x / y; }); break;
    case 4: Float(A, B, C, bc, [](float x, float y) { return std::isnan(x) || std::isnan(y) ? NAN : (x > y ? x : y); }); break;
    case 5: Float(A, B, C, bc, [](float x, float y) { return std::isnan(x) || std::isnan(y) ? NAN : (x < y ? x : y); }); break;
    case 6: Float(A, B, C, bc, [](float x, float y) { return (x - y) * (x - y); }); break;
    // gradients: a = dy, b = forward input (or output for EluGrad)
    case 20: Float(A, B, C, bc, [](float dy, float x) { return x > 0.f ? dy : 0.f; }); break;
    case 21: Float(A, B, C, bc, [alpha](float dy, float x) { return x > 0.f ? dy : alpha * dy; }); break;
    case 22: Float(A, B, C, bc, [](float dy, float y) { return y >= 0.f ? dy : dy * (y + 1.f); }); break;
    case 23: Float(A, B, C, bc, [](float x, float al) { return x > 0.f ? x : al * x; }); break;
    case 24: Float(A, B, C, bc, [](float dy, float y) { return dy * y * (1.f - y); }); break;
    case 25: Float(A, B, C, bc, [](float dy, float x) { return x > 0.f && x <= 6.f ? dy : 0.f; }); break;
    default: a.Fail("op", "is not a known binary op code");
  }
  return Undefined(a.env);
}

GANTRY_VECTOR_CLONES void SelectRange(const uint8_t* c, const float* x, const float* y, float* out, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) out[i] = c[i] ? x[i] : y[i];
}

// select(cond, a, b, out): all the same size.
napi_value SelectCall(Args& a) {
  size_t n = a.Length(3, "out");
  const uint8_t* c = a.U8(0, "condition", n);
  const float* x = a.F32(1, "a", n);
  const float* y = a.F32(2, "b", n);
  float* out = a.F32(3, "out", n);
  ParallelRanges(static_cast<int64_t>(n), ThreadsForElements(n),
                 [&](int64_t b, int64_t e, int) { SelectRange(c, x, y, out, b, e); });
  return Undefined(a.env);
}

GANTRY_VECTOR_CLONES void AddNRange(const float* const* xs, size_t count, float* out, int64_t b, int64_t e) {
  const float* x0 = xs[0];
  for (int64_t i = b; i < e; ++i) out[i] = x0[i];
  for (size_t k = 1; k < count; ++k) {
    const float* xk = xs[k];
    for (int64_t i = b; i < e; ++i) out[i] += xk[i];
  }
}

// addN([x0, x1, ...], out)
napi_value AddNCall(Args& a) {
  std::vector<size_t> lens;
  auto xs = a.F32List(0, "inputs", &lens);
  size_t n = a.Length(1, "out");
  float* out = a.F32(1, "out", n);
  if (xs.empty()) a.Fail("inputs", "must not be empty");
  for (size_t k = 0; k < xs.size(); ++k) {
    if (lens[k] != n) a.Fail("inputs", "entry " + std::to_string(k) + " has the wrong size");
  }
  ParallelRanges(static_cast<int64_t>(n), ThreadsForElements(n),
                 [&](int64_t b, int64_t e, int) { AddNRange(xs.data(), xs.size(), out, b, e); });
  return Undefined(a.env);
}

// fill(out, value)
napi_value FillCall(Args& a) {
  size_t n = a.Length(0, "out");
  float* out = a.F32(0, "out", n);
  float v = static_cast<float>(a.Num(1, "value"));
  for (size_t i = 0; i < n; ++i) out[i] = v;
  return Undefined(a.env);
}

ONEDNN_CALLBACK(UnaryCb, "unary", 4, UnaryCall)
ONEDNN_CALLBACK(BinaryCb, "binary", 8, BinaryCall)
ONEDNN_CALLBACK(SelectCb, "select", 4, SelectCall)
ONEDNN_CALLBACK(AddNCb, "addN", 2, AddNCall)
ONEDNN_CALLBACK(FillCb, "fill", 2, FillCall)

}  // namespace

void RegisterEltwise(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "unary", UnaryCb);
  ExportFunction(env, exports, "binary", BinaryCb);
  ExportFunction(env, exports, "select", SelectCb);
  ExportFunction(env, exports, "addN", AddNCb);
  ExportFunction(env, exports, "fill", FillCb);
}

}  // namespace onednn_addon
