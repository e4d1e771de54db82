// The environment settings the native side reads, each named once here with its default. Their
// table (type, default, what each does, who reads it) is src/environment.ts, which
// docs/environment.md is generated from; a test checks that the names and defaults below are
// the table's. The TypeScript side checks every value before the addon loads (a bad one keeps
// it from loading, with a sentence that names the variable), so here a value a setting does not
// take counts as unset.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace onednn_addon::environment {

// 0 or 1.
struct Switch {
  const char* name;
  bool fallback;
};

// A whole number of at least 1.
struct Count {
  const char* name;
  int64_t fallback;
};

// A number above 0.
struct Amount {
  const char* name;
  double fallback;
};

// Text the reader interprets ("" when unset).
struct Text {
  const char* name;
};

inline constexpr Text kCpuIsa{"GANTRY_CPU_ISA"};
inline constexpr Amount kParallelMinMflops{"GANTRY_PARALLEL_MIN_MFLOPS", 100};
inline constexpr Count kParallelMinElements{"GANTRY_PARALLEL_MIN_ELEMENTS", 1048576};
inline constexpr Switch kWinograd{"GANTRY_WINOGRAD", true};
inline constexpr Switch kBlockedFilterGradient{"GANTRY_BLOCKED_FILTER_GRADIENT", true};
inline constexpr Switch kTiledConv{"GANTRY_TILED_CONV", true};
inline constexpr Text kFewChannelKernels{"GANTRY_FEW_CHANNEL_KERNELS"};  // "0", "1" or unset

inline std::string Read(const Text& s) {
  const char* v = std::getenv(s.name);
  return v == nullptr ? std::string() : std::string(v);
}

inline bool Read(const Switch& s) {
  const std::string v = Read(Text{s.name});
  return v == "1" ? true : v == "0" ? false : s.fallback;
}

inline int64_t Read(const Count& s) {
  const std::string v = Read(Text{s.name});
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return s.fallback;
  errno = 0;
  const long long n = std::strtoll(v.c_str(), nullptr, 10);
  return errno == 0 && n >= 1 ? static_cast<int64_t>(n) : s.fallback;
}

inline double Read(const Amount& s) {
  const std::string v = Read(Text{s.name});
  if (v.empty()) return s.fallback;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  return end != nullptr && *end == '\0' && x > 0.0 && x < 1e300 ? x : s.fallback;
}

}  // namespace onednn_addon::environment
