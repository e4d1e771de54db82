// The vector the hand-vectorised kernels are written against, for the CPU tier that the
// including translation unit is compiled for (cpu_tier.h). Its target flags (binding.gyp)
// decide the tier: the same kernel source becomes tier_avx512, tier_avx2 or tier_generic code.
//
// V is 16 floats in every tier (GCC/clang vector extensions): one zmm register on AVX-512,
// two ymm halves on AVX2, four xmm (SSE2) or NEON registers on the generic tier. The kernels
// size their register tiles from kSums, the number of V sums a tile may keep in registers
// beside its operands, rather than assuming AVX-512's 32 registers.
//
// Only code in a tier namespace's anonymous namespace may be compiled with a tier's flags:
// an inline function or template with external linkage compiled here could be the copy the
// linker keeps for the rest of the addon, which would then run AVX-512 instructions on any
// CPU. (test/cpu_tiers.test.ts checks the tier objects' symbols.)
#pragma once

#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#define GANTRY_TIER_NAMESPACE tier_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define GANTRY_TIER_NAMESPACE tier_avx2
#else
#define GANTRY_TIER_NAMESPACE tier_generic
#endif

namespace onednn_addon::GANTRY_TIER_NAMESPACE {
namespace {

#if defined(__AVX512F__)
constexpr int kSums = 16;  // of 32 zmm registers
#elif defined(__AVX2__)
constexpr int kSums = 6;  // 12 of 16 ymm registers
#elif defined(__aarch64__)
constexpr int kSums = 6;  // 24 of 32 NEON registers
#else
constexpr int kSums = 3;  // 12 of 16 xmm registers
#endif

// Whether a store of the first lanes of a V costs one masked instruction (AVX-512).
#if defined(__AVX512F__)
constexpr bool kMaskedStores = true;
#else
constexpr bool kMaskedStores = false;
#endif

typedef float V8 __attribute__((vector_size(32)));
typedef float V4 __attribute__((vector_size(16)));

#if defined(__AVX512F__)

typedef float V __attribute__((vector_size(64)));
typedef float VU __attribute__((vector_size(64), aligned(4), may_alias));

inline V Load(const float* p) { return *reinterpret_cast<const VU*>(p); }
inline void Store(float* p, V v) { *reinterpret_cast<VU*>(p) = v; }
inline V Splat(float s) { return V{s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s}; }
// v < 0 ? 0 : v and v < 0 ? v * alpha : v, lane by lane (NaN stays NaN, as in TF.js's cpu kernels)
inline V Relu(V v) { return v < 0 ? V{} : v; }
inline V LeakyRelu(V v, float alpha) { return v < 0 ? v * alpha : v; }

// Lanes summed pairwise in a fixed tree.
inline float HSum(V v) {
  V8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
         __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  V4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

#else

// Without AVX-512, V is an aggregate of the tier's own registers (GCC keeps a 64-byte vector
// type that the target lacks in memory, and every operation went through the stack).
#if defined(__AVX2__)
typedef V8 N;
#else
typedef V4 N;
#endif
typedef N NU __attribute__((aligned(4), may_alias));
constexpr int kParts = 16 / (sizeof(N) / sizeof(float));

struct V {
  N part[kParts];
};

inline V Load(const float* p) {
  V v;
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) v.part[i] = *reinterpret_cast<const NU*>(p + i * sizeof(N) / sizeof(float));
  return v;
}
inline void Store(float* p, V v) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) *reinterpret_cast<NU*>(p + i * sizeof(N) / sizeof(float)) = v.part[i];
}
inline V Splat(float s) {
  V v;
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) v.part[i] = s - N{};  // (s - 0 is s, -0 and NaN included)
  return v;
}
inline V operator+(V a, V b) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) a.part[i] += b.part[i];
  return a;
}
inline V operator*(V a, V b) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) a.part[i] *= b.part[i];
  return a;
}
inline V operator*(V a, float s) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) a.part[i] *= s;
  return a;
}
inline V& operator+=(V& a, V b) { return a = a + b; }
inline V Relu(V v) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) v.part[i] = v.part[i] < 0 ? N{} : v.part[i];
  return v;
}
inline V LeakyRelu(V v, float alpha) {
#pragma GCC unroll 4
  for (int i = 0; i < kParts; ++i) v.part[i] = v.part[i] < 0 ? v.part[i] * alpha : v.part[i];
  return v;
}

// Lanes summed pairwise in the same fixed tree as on AVX-512: lanes 0-7 plus 8-15, then 0-3
// plus 4-7, then (0 + 2) + (1 + 3).
inline float HSum(V v) {
#if defined(__AVX2__)
  V8 a = v.part[0] + v.part[1];
  V4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
#else
  V4 b = (v.part[0] + v.part[2]) + (v.part[1] + v.part[3]);
#endif
  return (b[0] + b[2]) + (b[1] + b[3]);
}

#endif

}  // namespace
}  // namespace onednn_addon::GANTRY_TIER_NAMESPACE
