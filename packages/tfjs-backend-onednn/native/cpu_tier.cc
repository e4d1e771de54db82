#include "cpu_tier.h"

#include <strings.h>

#include <cstdlib>
#include <string>

#include "environment.h"

#include "oneapi/dnnl/dnnl.hpp"

namespace onednn_addon {
namespace {

// The best tier this CPU (and its operating system, which must save the wider registers)
// supports. __builtin_cpu_supports checks both on GCC and clang.
CpuTier BestTier() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return CpuTier::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuTier::kAvx2;
#endif
  return CpuTier::kGeneric;
}

// GANTRY_CPU_ISA as a tier; the best one when it is unset or not a tier's name.
CpuTier Cap(bool& set) {
  const std::string cap = environment::Read(environment::kCpuIsa);
  set = true;
  if (strcasecmp(cap.c_str(), "generic") == 0) return CpuTier::kGeneric;
  if (strcasecmp(cap.c_str(), "avx2") == 0) return CpuTier::kAvx2;
  if (strcasecmp(cap.c_str(), "avx512") == 0) return CpuTier::kAvx512;
  set = false;
  return CpuTier::kAvx512;
}

// Chooses the tier and caps oneDNN (see cpu_tier.h).
CpuTier Choose() {
  bool capped;
  const CpuTier best = BestTier(), cap = Cap(capped);
#if defined(__x86_64__)
  if (capped && std::getenv("ONEDNN_MAX_CPU_ISA") == nullptr && std::getenv("DNNL_MAX_CPU_ISA") == nullptr) {
    const dnnl::cpu_isa isa = cap == CpuTier::kAvx512 ? dnnl::cpu_isa::avx512_core
                              : cap == CpuTier::kAvx2 ? dnnl::cpu_isa::avx2
                                                      : dnnl::cpu_isa::sse41;
    dnnl::set_max_cpu_isa(isa);  // (a oneDNN built without caps keeps its kernels: not an error here)
  }
#endif
  return static_cast<int>(cap) < static_cast<int>(best) ? cap : best;
}

}  // namespace

CpuTier ActiveCpuTier() {
  static const CpuTier tier = Choose();
  return tier;
}

const char* CpuTierName(CpuTier tier) {
  switch (tier) {
    case CpuTier::kAvx512: return "avx512";
    case CpuTier::kAvx2: return "avx2";
    default: return "generic";
  }
}

void InitCpuTier() { ActiveCpuTier(); }

}  // namespace onednn_addon
