// The CPU tier the backend's hand-vectorised kernels (fewconv.h, tiledconv.h) run on, chosen
// once when the addon loads: the best this CPU has, capped by GANTRY_CPU_ISA.
//
//   avx512   AVX-512 F, DQ, VL and BW (with AVX2 and FMA)
//   avx2     AVX2 and FMA
//   generic  any other CPU: x86-64 without AVX2, arm64 (GCC/clang vector extensions only)
//
// Each kernel source is compiled once per tier with that tier's target flags (binding.gyp),
// into its own namespace (simd.h); the rest of the addon is built for any CPU of its
// architecture and calls a tier's kernels only when this file chose it.
//
// GANTRY_CPU_ISA=avx512|avx2|generic caps the choice (the TypeScript side refuses any other
// value before the addon loads; here one is ignored). When neither ONEDNN_MAX_CPU_ISA nor
// DNNL_MAX_CPU_ISA is set, it caps oneDNN's own kernels at the same level too (AVX512_CORE,
// AVX2, SSE41 on x86-64), so that one variable runs the whole backend as an older CPU would.
#pragma once

namespace onednn_addon {

enum class CpuTier { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

// The tier in use (chosen on the first call, which Init makes).
CpuTier ActiveCpuTier();

// 'avx512', 'avx2' or 'generic'.
const char* CpuTierName(CpuTier tier);

// Chooses the tier and applies GANTRY_CPU_ISA's cap to oneDNN; called once when the addon
// loads, before any oneDNN primitive exists (oneDNN takes a cap only then).
void InitCpuTier();

}  // namespace onednn_addon
