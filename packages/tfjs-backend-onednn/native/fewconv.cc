// See fewconv.h. The kernels themselves are in fewconv_kernels.cc, compiled once per CPU tier
// (cpu_tier.h); this file, built for any CPU, chooses the tier's kernels, splits the images
// over threads and holds the scratch memory.
#include "fewconv.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "activation.h"
#include "cpu_tier.h"
#include "environment.h"
#include "fewconv_kernels.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

constexpr int64_t kMaxVectors = 8;  // at most 8 * 16 = 128 channels on the other side
constexpr int64_t kImagesPerPartial = 8;

// What the tier in use takes: layers with few output channels (forward pass and filter
// gradient), and with fewInputs those with few input channels (forward pass, input and filter
// gradients).
struct Taking {
  const FewChannelKernels* kernels;  // null: none
  bool fewInputs;
};

// By default each tier takes the layers its kernels ran faster than oneDNN's kernels for that
// tier (bench/conv-layers.js on the presets' layers, medians of 9 alternating runs on a 2-core
// AMD EPYC with oneDNN capped to the tier's ISA; docs/performance.md):
// - AVX-512: both kinds.
// - AVX2: few outputs only, where oneDNN's kernels, vectorised over the output channels, have
//   little to vectorise: sngan64's 16-to-3 layer took 0.15 to 0.24 of oneDNN's time forward,
//   0.43 to 0.64 for the filter gradient, on 1 and 2 threads. With few inputs oneDNN's AVX2
//   kernels ran as fast or faster: ours took 1.7 to 1.9 times oneDNN's time for dcgan-mnist's
//   1-to-64 forward pass, 1.06 to 1.4 for its filter gradient (0.83 to 1.4 over the presets'
//   image layers), 0.82 to 1.14 for their input gradients.
// - generic: both kinds; against oneDNN capped to SSE4.1, from 0.17 to 1.06 of its time on one
//   thread. (On arm64, not timed: no such machine here.)
// GANTRY_FEW_CHANNEL_KERNELS=0 leaves every such layer to oneDNN (to compare the two), =1 has
// the tier take both kinds (to test and time its kernels).
const Taking& Take() {
  static const Taking taking = [] {
    const std::string setting = environment::Read(environment::kFewChannelKernels);
    if (setting == "0") return Taking{nullptr, false};
    const CpuTier tier = ActiveCpuTier();
    const bool fewInputs = tier != CpuTier::kAvx2 || setting == "1";
    switch (tier) {
#if defined(__x86_64__)
      case CpuTier::kAvx512: return Taking{&tier_avx512::kFewChannelKernels, fewInputs};
      case CpuTier::kAvx2: return Taking{&tier_avx2::kFewChannelKernels, fewInputs};
#endif
      default: return Taking{&tier_generic::kFewChannelKernels, fewInputs};
    }
  }();
  return taking;
}

const FewChannelKernels* Kernels() { return Take().kernels; }

// The kernels assume padding of zero or more on every side (what TF.js computes).
bool Taken(const ConvGeometry& g) { return Kernels() != nullptr && g.pt >= 0 && g.pl >= 0 && g.pb >= 0 && g.pr >= 0; }

bool Vectors(int64_t channels, int64_t& count) {
  count = channels / 16;
  return channels % 16 == 0 && count >= 1 && count <= kMaxVectors;
}

bool ActivationTaken(int act) { return act == kLinear || act == kRelu || act == kLeakyRelu; }

// Scratch memory kept between calls (a training step makes the same calls every step), one
// buffer per use so that a call can hold two.
enum class Scratch { kPartials, kFilter, kSum };
float* ScratchFloats(Scratch use, size_t n) {
  thread_local std::vector<float> buffers[3];
  std::vector<float>& b = buffers[static_cast<int>(use)];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Filter sums per group of kImagesPerPartial images, added in group order: the same bits
// on any thread count.
template <typename Kernel>
void SumOverImageGroups(const ConvGeometry& g, float* dw, int64_t size, int threads, Kernel kernel) {
  int64_t groups = (g.n + kImagesPerPartial - 1) / kImagesPerPartial;
  float* parts = ScratchFloats(Scratch::kPartials, groups * size);
  ParallelRanges(groups, std::min<int64_t>(threads, groups), [&](int64_t g0, int64_t g1, int) {
    for (int64_t k = g0; k < g1; ++k) {
      kernel(parts + k * size, k * kImagesPerPartial, std::min(g.n, (k + 1) * kImagesPerPartial));
    }
  });
  std::copy(parts, parts + size, dw);
  for (int64_t k = 1; k < groups; ++k) {
    const float* p = parts + k * size;
    for (int64_t e = 0; e < size; ++e) dw[e] += p[e];
  }
}

// Threads for these kernels, which split the images over threads with one fork and join per
// call and no per-thread setup: from 8 MFLOP the second core pays off (measured on dcgan-mnist's
// 26 and 51 MFLOP layers, 2 cores). oneDNN's calls of the same layers go by ThreadsForFlops
// (runtime.h), whose bound is 100 MFLOP: its per-call thread setup costs more.
constexpr double kImageSplitMinFlops = 8e6;

int ImageSplitThreads(const ConvGeometry& g) { return g.Flops() >= kImageSplitMinFlops ? ConfiguredThreads() : 1; }

template <typename Body>
void OverImages(const ConvGeometry& g, int threads, Body body) {
  ParallelRanges(g.n, std::min<int64_t>(threads, g.n), [&](int64_t n0, int64_t n1, int) { body(n0, n1); });
}

}  // namespace

bool FewChannelForward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                       int activation, float alpha) {
  const int threads = ImageSplitThreads(g);
  if (!Taken(g) || !ActivationTaken(activation)) return false;
  int64_t count;
  if (g.c <= kFewChannels && Take().fewInputs && Vectors(g.oc, count) && count == 1 && g.dw == 1) {
    // with 16 output channels; with more, the blocks of columns below run faster
    FewForwardFn k = Kernels()->forwardFewInRegs(g);
    if (k != nullptr) {
      OverImages(g, threads, [&](int64_t n0, int64_t n1) { k(g, x, w, b, y, activation, alpha, n0, n1); });
      return true;
    }
  }
  if (g.c == 1 && Take().fewInputs && Vectors(g.oc, count)) {
    // (with 3 input channels and 32 outputs, dcgan64's first layer, oneDNN was faster)
    FewForwardFn k = Kernels()->forwardFewIn(count);
    OverImages(g, threads, [&](int64_t n0, int64_t n1) { k(g, x, w, b, y, activation, alpha, n0, n1); });
    return true;
  }
  if (g.oc <= kFewChannels && Vectors(g.c, count) && count <= 4) {
    const int64_t taps = g.kh * g.kw;
    float* wt = ScratchFloats(Scratch::kFilter, taps * g.oc * g.c);  // [tap][oc][c] from HWIO [tap][c][oc]
    FewForwardFn regs = Kernels()->forwardFewOutRegs(g);
    FewForwardFn k = regs != nullptr ? regs : Kernels()->forwardFewOut(g.oc, count);
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t ci = 0; ci < g.c; ++ci) {
        for (int64_t o = 0; o < g.oc; ++o) wt[(t * g.oc + o) * g.c + ci] = w[(t * g.c + ci) * g.oc + o];
      }
    }
    OverImages(g, threads, [&](int64_t n0, int64_t n1) { k(g, x, wt, b, y, activation, alpha, n0, n1); });
    return true;
  }
  return false;
}

bool FewChannelBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int threads = ImageSplitThreads(g);
  int64_t count;
  const int64_t cols = g.kh * g.kw * g.c, tv = (cols + 15) / 16;
  if (!Taken(g) || g.c > kFewChannels || !Take().fewInputs || !Vectors(g.oc, count) || g.kh * g.kw == 1) return false;
  if (tv > 4) return false;
  float* wt = ScratchFloats(Scratch::kFilter, g.oc * tv * 16);  // [oc][cols, padded] from HWIO [cols][oc]
  std::fill(wt, wt + g.oc * tv * 16, 0.f);
  for (int64_t k = 0; k < cols; ++k) {
    for (int64_t o = 0; o < g.oc; ++o) wt[o * tv * 16 + k] = w[k * g.oc + o];
  }
  FewBackwardDataFn k = Kernels()->backwardDataFewIn(tv);
  OverImages(g, threads, [&](int64_t n0, int64_t n1) { k(g, dy, wt, dx, n0, n1); });
  return true;
}

bool FewChannelBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int threads = ImageSplitThreads(g);
  if (!Taken(g)) return false;
  int64_t count;
  const int64_t size = g.WSize();
  if (g.c <= kFewChannels && Take().fewInputs && Vectors(g.oc, count) && g.dw == 1) {
    // the kernel shapes of the presets' image layers
    FewBackwardFilterFn k = Kernels()->backwardFilterFewInRegs(g);
    if (k != nullptr) {
      SumOverImageGroups(g, dw, size, threads, [&](float* part, int64_t n0, int64_t n1) { k(g, x, dy, part, n0, n1); });
      return true;
    }
  }
  if (g.oc <= kFewChannels && Vectors(g.c, count) && count <= 4) {
    float* sum = ScratchFloats(Scratch::kSum, size);  // [tap][oc][c]
    FewBackwardFilterFn k = Kernels()->backwardFilterFewOut(g.oc, count);
    SumOverImageGroups(g, sum, size, threads, [&](float* part, int64_t n0, int64_t n1) { k(g, x, dy, part, n0, n1); });
    const int64_t taps = g.kh * g.kw;
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t ci = 0; ci < g.c; ++ci) {
        for (int64_t o = 0; o < g.oc; ++o) dw[(t * g.c + ci) * g.oc + o] = sum[(t * g.oc + o) * g.c + ci];
      }
    }
    return true;
  }
  return false;
}

}  // namespace onednn_addon
