// Addon entry: registers every kernel family plus thread control.
#include <malloc.h>
#include <omp.h>

#include "args.h"
#include "cpu_tier.h"
#include "families.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "runtime.h"

namespace onednn_addon {
namespace {

// setThreads(n): thread count for large conv/GEMM calls.
napi_value SetThreads(Args& a) {
  SetConfiguredThreads(static_cast<int>(a.Int(0, "n", 1, 1024)));
  return Undefined(a.env);
}

napi_value GetThreads(Args& a) { return Number(a.env, ConfiguredThreads()); }

// OpenMP's own limit (omp_get_max_threads), for diagnostics.
napi_value OmpMaxThreads(Args& a) { return Number(a.env, omp_get_max_threads()); }

napi_value Version(Args& a) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                  std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(a.env, s.c_str(), NAPI_AUTO_LENGTH, &out);
  return out;
}

// The CPU tier the hand-vectorised kernels run on: 'avx512', 'avx2' or 'generic' (cpu_tier.h).
napi_value CpuTierOf(Args& a) {
  napi_value out;
  napi_create_string_utf8(a.env, CpuTierName(ActiveCpuTier()), NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value ClearCache(Args& a) {
  ClearConvCache();
  return Undefined(a.env);
}

ONEDNN_CALLBACK(SetThreadsCb, "setThreads", 1, SetThreads)
ONEDNN_CALLBACK(GetThreadsCb, "getThreads", 0, GetThreads)
ONEDNN_CALLBACK(OmpMaxThreadsCb, "ompMaxThreads", 0, OmpMaxThreads)
ONEDNN_CALLBACK(VersionCb, "version", 0, Version)
ONEDNN_CALLBACK(ClearCacheCb, "clearCache", 0, ClearCache)
ONEDNN_CALLBACK(CpuTierCb, "cpuTier", 0, CpuTierOf)

// Tensor outputs are fresh Float32Arrays. glibc serves blocks above 128 KiB
// with mmap and unmaps them on free, so every large output would fault in new
// zeroed pages, which costs more than the kernel that fills it (several ms per
// MiB in a VM). Keeping such blocks on the heap (up to glibc's 32 MiB cap) and
// not trimming it lets freed tensor memory be reused. The cost: the process
// keeps its peak heap instead of returning it to the OS.
void KeepLargeBlocksOnHeap() {
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
}

napi_value Init(napi_env env, napi_value exports) {
  InitCpuTier();  // before any oneDNN primitive: it may cap oneDNN's kernels
  KeepLargeBlocksOnHeap();
  RegisterConv(env, exports);
  RegisterMatmul(env, exports);
  RegisterEltwise(env, exports);
  RegisterReduce(env, exports);
  RegisterBatchnorm(env, exports);
  RegisterOptimizer(env, exports);
  RegisterLayout(env, exports);
  ExportFunction(env, exports, "setThreads", SetThreadsCb);
  ExportFunction(env, exports, "getThreads", GetThreadsCb);
  ExportFunction(env, exports, "ompMaxThreads", OmpMaxThreadsCb);
  ExportFunction(env, exports, "version", VersionCb);
  ExportFunction(env, exports, "clearCache", ClearCacheCb);
  ExportFunction(env, exports, "cpuTier", CpuTierCb);
  return exports;
}

}  // namespace
}  // namespace onednn_addon

NAPI_MODULE(NODE_GYP_MODULE_NAME, onednn_addon::Init)
