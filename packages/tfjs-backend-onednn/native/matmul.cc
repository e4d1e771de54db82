// Batched matrix multiply with optional bias and activation, on oneDNN's
// row-major sgemm. Batches broadcast when one side has a single batch.
#include <string>

#include "activation.h"
#include "args.h"
#include "families.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

// matmul(a, b, out, dims[batchA, batchB, M, N, K, transA, transB], bias|null,
//        activation, alpha)
napi_value Matmul(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  auto d = a.Ints(3, "dims", 7);
  int64_t batchA = d[0], batchB = d[1], m = d[2], n = d[3], k = d[4];
  bool transA = d[5] != 0, transB = d[6] != 0;
  for (int i = 0; i < 5; ++i) {
    if (d[i] < 1) a.Fail("dims", "entry " + std::to_string(i) + " must be >= 1");
  }
  if (batchA != batchB && batchA != 1 && batchB != 1) {
    a.Fail("dims", "batch sizes must be equal or one of them 1");
  }
  int64_t batch = batchA > batchB ? batchA : batchB;
  const float* A = a.F32(0, "a", batchA * m * k);
  const float* B = a.F32(1, "b", batchB * k * n);
  float* C = a.F32(2, "out", batch * m * n);
  size_t biasLen = 0;
  const float* bias = a.F32OrNull(4, "bias");
  if (bias) {
    biasLen = a.Length(4, "bias");
    if (biasLen != 1 && biasLen != static_cast<size_t>(n)) a.Fail("bias", "must have N or 1 elements");
  }
  int64_t act = a.Int(5, "activation", 0, 5);
  float alpha = static_cast<float>(a.Num(6, "alpha"));

  UseThreadsForFlops(2.0 * batch * m * n * k);
  int64_t lda = transA ? m : k, ldb = transB ? k : n;
  for (int64_t i = 0; i < batch; ++i) {
    const float* Ai = A + (batchA == 1 ? 0 : i) * m * k;
    const float* Bi = B + (batchB == 1 ? 0 : i) * k * n;
    float* Ci = C + i * m * n;
    dnnl_status_t st = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.f, Ai, lda,
                                  Bi, ldb, 0.f, Ci, n);
    if (st != dnnl_success) throw ArgError{"matmul: dnnl_sgemm failed with status " + std::to_string(st)};
  }
  size_t total = static_cast<size_t>(batch * m * n);
  if (bias) {
    if (biasLen == 1) {
      for (size_t i = 0; i < total; ++i) C[i] += bias[0];
    } else {
      for (size_t r = 0; r < total; r += n) {
        float* row = C + r;
        for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
      }
    }
  }
  ApplyActivation(C, total, static_cast<int>(act), alpha);
  return Undefined(a.env);
}

ONEDNN_CALLBACK(MatmulCb, "matmul", 7, Matmul)

}  // namespace

void RegisterMatmul(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "matmul", MatmulCb);
}

}  // namespace onednn_addon
