// 2-D convolution on NHWC activations and HWIO filters: forward (with optional
// bias and fused activation), backward data and backward weights.
//
// Activations stay in the caller's NHWC buffers (zero copy). Filters are given
// to oneDNN with format `any`, which lets it choose a blocked layout whose
// kernels run much faster than plain HWIO; the filter is reordered into a
// buffer that belongs to the cached primitive (no allocation per call). The
// filter changes every training step, so the reorder itself runs per call.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "activation.h"
#include "args.h"
#include "conv_geometry.h"
#include "dnnl_compat.h"
#include "environment.h"
#include "fewconv.h"
#include "families.h"
#include "primitive_cache.h"
#include "runtime.h"
#include "tiledconv.h"

namespace onednn_addon {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

ConvGeometry ParseGeometry(Args& a, size_t i) {
  auto d = a.Ints(i, "geometry", 17);
  for (int k = 0; k < 13; ++k) {
    if (d[k] < 1) a.Fail("geometry", "entry " + std::to_string(k) + " must be >= 1");
  }
  for (int k = 13; k < 17; ++k) {
    if (d[k] < -d[4] - d[5]) a.Fail("geometry", "has an impossible padding");
  }
  return {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8],
          d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
}

using Algorithm = dnnl::algorithm;

dnnl_compat::ConvWindow Window(const ConvGeometry& g) { return {g.Strides(), g.Dilations(), g.PadL(), g.PadR()}; }

// With `blocked`, x and y are left to oneDNN's choice of layout as well (format `any`).
dnnl::convolution_forward::primitive_desc ForwardPrimitiveDesc(const ConvGeometry& g, bool withBias,
                                                               bool blocked = false,
                                                               Algorithm alg = Algorithm::convolution_direct) {
  memory::desc b({g.oc}, dt::f32, tag::a);
  return dnnl_compat::ConvolutionForward(CpuEngine(), dnnl::prop_kind::forward_training, alg,
                                         blocked ? g.XAny() : g.XDesc(), g.WAny(), withBias ? &b : nullptr,
                                         blocked ? g.YAny() : g.YDesc(), Window(g));
}

// The fused activation runs as its own pass over y (activation.h, the matmul's code), not as a
// oneDNN post-op: oneDNN's relu, leaky relu and clip post-ops turn NaN into a number, where
// TF.js keeps it (and divergence detection needs it kept). The pass costs a read and a write
// of y, about 0.1 ms a step on dcgan-mnist's discriminator.
void ActivateOutput(float* y, int64_t n, int64_t act, float alpha) {
  if (act == kLinear) return;
  ParallelRanges(n, ThreadsForElements(n), [&](int64_t begin, int64_t end, int) {
    ApplyActivation(y + begin, static_cast<size_t>(end - begin), static_cast<int>(act), alpha);
  });
}

// The backward primitives (data or weights) for the geometry, with the forward primitive as
// their hint. With `blocked`, x and dy are left to oneDNN's choice of layout as well (format `any`).
dnnl::convolution_backward_data::primitive_desc BackwardDataPrimitiveDesc(
    const ConvGeometry& g, bool blocked = false, Algorithm alg = Algorithm::convolution_direct) {
  return dnnl_compat::ConvolutionBackwardData(CpuEngine(), alg, blocked ? g.XAny() : g.XDesc(), g.WAny(),
                                              blocked ? g.YAny() : g.YDesc(), Window(g),
                                              ForwardPrimitiveDesc(g, false, blocked, alg));
}

dnnl::convolution_backward_weights::primitive_desc BackwardWeightsPrimitiveDesc(
    const ConvGeometry& g, bool blocked = false, Algorithm alg = Algorithm::convolution_direct) {
  return dnnl_compat::ConvolutionBackwardWeights(CpuEngine(), alg, blocked ? g.XAny() : g.XDesc(), g.WAny(),
                                                 nullptr, blocked ? g.YAny() : g.YDesc(), Window(g),
                                                 ForwardPrimitiveDesc(g, false, blocked, alg));
}

// The filter gradient on oneDNN's blocked layouts: x and dy are reordered into them first.
// On one thread, for strided convolutions with 32 or more channels on both sides, its kernels
// beat the NHWC ones by more than the reorders cost: the 4x4 stride-2 layers of dcgan-mnist
// and dcgan64 ran 3 to 10% faster alone, reorders included, with x and dy out of cache, and
// their filter gradients took 7% less time inside a training step. (Those with 64 or more
// channels on both sides now run on tiledconv.h's kernel, faster still; this path keeps the
// 32-channel ones, such as dcgan64's 32-to-64 layer.) For 3x3 stride-1 layers
// the NHWC kernels were as fast or faster (up to 30% at 16 channels), and on two threads the
// blocked path made dcgan-mnist's filter gradients slower (12.4 against 11.1 ms per step), so
// those stay as they are. GANTRY_BLOCKED_FILTER_GRADIENT=0 keeps every filter gradient on
// NHWC (to compare the two).
bool BlockedFilterGradient(const ConvGeometry& g, int threads) {
  static const bool on = environment::Read(environment::kBlockedFilterGradient);
  return on && threads == 1 && g.c >= 32 && g.oc >= 32 && (g.sh > 1 || g.sw > 1);
}

// oneDNN's Winograd kernels, F(4x4, 3x3) on AVX-512, for 3x3 stride-1 layers: they do a
// quarter of the direct kernels' multiplications. Alone (C++ loop, one thread), 64- and
// 128-channel layers at 8x8 and 16x16 ran their forward pass and input gradient 1.4 to 1.8 times
// as fast as the direct kernels and their filter gradient 1.2 to 2 times. Inside sngan64's steps
// the 32-channel layers' forward passes and input gradients ran 1.1 to 1.7 times as fast, their
// filter gradients 1.05 to 1.2 times slower; at 16 channels all three were 1.2 to 1.3 times
// slower alone. So forward passes and input gradients take them from 32 channels on both sides,
// filter gradients from 64. On two threads, sngan64's 128-channel 8x8 layers at batch 32 (64
// output tiles of 4x4 per thread) ran their forward pass and input gradient 1.2 times slower
// inside a step, where at batch 64 they ran 1.15 to 1.35 times faster: those two passes take
// Winograd from 96 tiles per thread. They read and write x and y in oneDNN's blocked layout, so those are
// reordered through the shared scratch, and their results differ from the direct kernels' in the
// last bits (about 2e-6 relative). On CPUs without the kernels the direct ones run, as they do
// everywhere with oneDNN 3.x, which dropped its x86-64 f32 Winograd kernels.
// GANTRY_WINOGRAD=0 keeps every convolution direct (to compare the two).
enum class Pass { kForward, kBackwardData, kBackwardWeights };

bool WinogradFits(const ConvGeometry& g, Pass pass, int threads) {
  static const bool on = environment::Read(environment::kWinograd);
  // 'same' or 'valid': oneDNN's Winograd input gradient came out wrong with one-sided padding
  bool padsFit = (g.pt == 0 || g.pt == 1) && g.pl == g.pt && g.pb == g.pt && g.pr == g.pt;
  bool filterGradient = pass == Pass::kBackwardWeights;
  int64_t minChannels = filterGradient ? 64 : 32;
  int64_t tiles = g.n * ((g.oh + 3) / 4) * ((g.ow + 3) / 4);
  bool enoughTiles = filterGradient || threads == 1 || tiles >= 96 * threads;
  return on && enoughTiles && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && padsFit &&
         g.c % 16 == 0 && g.oc % 16 == 0 && std::min(g.c, g.oc) >= minChannels;
}

// make(winograd) builds a primitive descriptor; with Winograd first where it fits and is allowed,
// falling back to the direct kernels where oneDNN has no Winograd kernel for this CPU or these
// attributes (or none at all: oneDNN 3.x). `winograd` says which it took.
template <typename Make>
auto ChooseAlgorithm(const ConvGeometry& g, Pass pass, int threads, bool allowWinograd, bool& winograd, Make make)
    -> decltype(make(false)) {
  if (allowWinograd && WinogradFits(g, pass, threads)) {
    try {
      auto pd = make(true);
      winograd = true;
      return pd;
    } catch (const dnnl::error&) {
      // no Winograd kernel here: the direct one below
    }
  }
  winograd = false;
  return make(false);
}

// Winograd's transforms add and subtract neighbouring inputs, so one non-finite input spoils its
// whole tile (Inf - Inf is NaN), where TF.js (and a direct convolution) keeps it to the outputs
// that read it: a Winograd convolution whose inputs are not all finite (AllFinite, runtime.h)
// runs on the direct kernels instead. The check reads the inputs once, about 1% of the time.
// A cache key for the direct twin of an entry that runs Winograd.
CacheKey DirectKey(CacheKey key) {
  key.push_back(-1);
  return key;
}

Algorithm AlgorithmOf(bool winograd) {
  return winograd ? Algorithm::convolution_winograd : Algorithm::convolution_direct;
}

// One 64-byte aligned scratch buffer shared by every convolution of a thread that runs on
// blocked layouts, so the cached primitives hold no activation-sized memory of their own.
char* BlockedScratch(size_t bytes) {
  thread_local std::unique_ptr<char, decltype(&std::free)> buffer(nullptr, &std::free);
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    size_t rounded = (bytes + 63) / 64 * 64;
    char* fresh = static_cast<char*>(std::aligned_alloc(64, rounded));
    if (fresh == nullptr) throw std::bad_alloc();
    buffer.reset(fresh);
    capacity = rounded;
  }
  return buffer.get();
}

// A feature map (x, y, dy or dx) the caller holds in NHWC, for a primitive that may take it in
// another layout. Then the copy in the primitive's layout lives in the shared scratch: an input
// is reordered into it before the primitive runs, an output out of it afterwards.
struct FeatureMap {
  memory user, prim;
  std::unique_ptr<dnnl::reorder> reorder;  // user to prim for an input, prim to user for an output
  bool output = false;

  void Init(const memory::desc& userDesc, const memory::desc& primDesc, bool isOutput) {
    auto& eng = CpuEngine();
    output = isOutput;
    user = memory(userDesc, eng, nullptr);
    if (primDesc == userDesc) {
      prim = user;
      return;
    }
    prim = memory(primDesc, eng, nullptr);
    reorder = output ? std::make_unique<dnnl::reorder>(prim, user) : std::make_unique<dnnl::reorder>(user, prim);
  }
  size_t ScratchBytes() const { return reorder ? (prim.get_desc().get_size() + 63) / 64 * 64 : 0; }
  // Binds the caller's buffer and returns what the primitive takes. A copy takes its place at
  // `scratch`, which moves past it.
  memory& Bind(float* data, char*& scratch) {
    user.set_data_handle(data);
    if (!reorder) return user;
    prim.set_data_handle(scratch);
    scratch += ScratchBytes();
    if (!output) reorder->execute(CpuStream(), user, prim);
    return prim;
  }
  void Finish() {
    if (reorder && output) reorder->execute(CpuStream(), prim, user);
  }
};

// The scratch for two feature maps, for FeatureMap::Bind.
char* ScratchFor(const FeatureMap& a, const FeatureMap& b) {
  return BlockedScratch(a.ScratchBytes() + b.ScratchBytes());
}

// A reorder that runs on one thread. oneDNN fixes a reorder's thread split when the
// primitive is created, from the thread count in force then, and keeps it whatever count is
// set at execution: a weight reorder created for a 2-thread convolution woke the second
// thread on every call, which cost about 0.1 ms for a 9 KB filter (2 us on one thread), and
// about 20 ms per sngan64 step on 2 threads. Restores `threads` afterwards.
std::unique_ptr<dnnl::reorder> SingleThreadReorder(const memory& from, const memory& to, int threads) {
  UseThreads(1);
  auto r = std::make_unique<dnnl::reorder>(from, to);
  UseThreads(threads);
  return r;
}

// A filter in HWIO plus, when the primitive wants another layout, the reorder
// into a buffer owned by the cache entry.
struct WeightsIn {
  memory user;
  memory prim;
  std::unique_ptr<dnnl::reorder> reorder;

  void Init(const memory::desc& userDesc, const memory::desc& primDesc, int threads) {
    auto& eng = CpuEngine();
    user = memory(userDesc, eng, nullptr);
    if (primDesc != userDesc) {
      prim = memory(primDesc, eng);
      reorder = SingleThreadReorder(user, prim, threads);
    } else {
      prim = user;
    }
  }
  // Reorders on one thread, then restores the conv's thread count.
  memory& Bind(float* w, int threads) {
    user.set_data_handle(w);
    if (reorder) {
      UseThreads(1);
      reorder->execute(CpuStream(), user, prim);
      UseThreads(threads);
    }
    return prim;
  }
};

// Each entry keeps oneDNN's name for the kernel it runs (for conv2dImplementation).
struct ForwardEntry {
  dnnl::convolution_forward prim;
  FeatureMap x, y;
  memory b;
  WeightsIn w;
  std::string impl;
  bool winograd = false;
};

struct BackwardDataEntry {
  dnnl::convolution_backward_data prim;
  FeatureMap dy, dx;
  WeightsIn w;
  std::string impl;
  bool winograd = false;
};

struct BackwardWeightsEntry {
  dnnl::convolution_backward_weights prim;
  FeatureMap x, dy;
  memory dwUser, dwPrim;
  std::unique_ptr<dnnl::reorder> reorder;
  std::string impl;
  bool winograd = false;
};

// The input gradient of a convolution with few input channels (an image's 1 or 3: a
// generator's last transposed convolution, a discriminator's first layer), where the direct
// kernels of fewconv.h do not run (no AVX-512, or a shape they leave). oneDNN's
// backward-data kernels vectorise over those channels: they ran dcgan-mnist's last layer
// (64 channels to 1) at about 12 GFLOP/s, and dcgan64's (32 to 3) in 6.7 ms a call against
// 4.3 ms here. Here it is one matrix product per group of images over the output pixels,
// then a shift-and-add of the kernel taps:
//   P = dy[pixels, oc] * W^T[oc, taps * c],  dx(p + tap) += P(p, tap)
// (The forward pass with few output channels, done the same way, was no faster than oneDNN:
// its product has only c = 16 terms per entry and is bound by writing P.)
// Each group of images runs on one thread with its own scratch, so the result depends only on
// the group size, which depends only on the geometry and the thread count.
// With fewer than 32 output channels the product has too few terms per entry to beat oneDNN
// (a 16-to-3-channel layer ran 20% slower this way).
bool FewInputChannels(const ConvGeometry& g) { return g.c <= kFewChannels && g.oc >= 32 && g.kh * g.kw > 1; }

// Images per group: scratch of about a megabyte, and at least one group per thread.
int64_t ImagesPerGroup(int64_t n, int64_t floatsPerImage, int threads) {
  int64_t fit = std::max<int64_t>(1, (256 * 1024) / std::max<int64_t>(1, floatsPerImage));
  int64_t share = (n + threads - 1) / threads;
  return std::max<int64_t>(1, std::min(fit, share));
}

template <typename Body>
void ForEachGroup(int64_t n, int64_t perGroup, int threads, Body body) {
  int64_t groups = (n + perGroup - 1) / perGroup;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t gi = 0; gi < groups; ++gi) {
    thread_local std::vector<float> scratch;
    int64_t n0 = gi * perGroup;
    body(n0, std::min(perGroup, n - n0), scratch);
  }
}

void BackwardDataFewInputChannels(const ConvGeometry& g, const float* dy, const float* w, float* dx, int threads) {
  const int64_t taps = g.kh * g.kw, cols = taps * g.c, inPix = g.h * g.w, outPix = g.oh * g.ow;
  int64_t per = ImagesPerGroup(g.n, outPix * cols, threads);
  ForEachGroup(g.n, per, threads, [&](int64_t n0, int64_t count, std::vector<float>& p) {
    p.resize(count * outPix * cols);
    // W in HWIO is [taps * c, oc]: the transposed right-hand side
    dnnl_sgemm('N', 'T', count * outPix, cols, g.oc, 1.f, dy + n0 * outPix * g.oc, g.oc, w, g.oc, 0.f, p.data(), cols);
    std::fill(dx + n0 * inPix * g.c, dx + (n0 + count) * inPix * g.c, 0.f);
    for (int64_t k = 0; k < count; ++k) {
      const float* pi = p.data() + k * outPix * cols;
      float* xi = dx + (n0 + k) * inPix * g.c;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const float* src = pi + (oh * g.ow + ow) * cols;
          for (int64_t i = 0; i < g.kh; ++i) {
            int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              int64_t iw = ow * g.sw - g.pl + j * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              float* dst = xi + (ih * g.w + iw) * g.c;
              const float* tap = src + (i * g.kw + j) * g.c;
              for (int64_t ci = 0; ci < g.c; ++ci) dst[ci] += tap[ci];
            }
          }
        }
      }
    }
  });
}

PrimitiveCache<ForwardEntry> g_forward;
PrimitiveCache<BackwardDataEntry> g_backwardData;
PrimitiveCache<BackwardWeightsEntry> g_backwardWeights;

// The cached forward primitive for the geometry (allowWinograd false: the direct kernels only).
ForwardEntry* ForwardFor(const ConvGeometry& g, bool bias, int threads, bool allowWinograd) {
  CacheKey key = g.Key(bias ? 1 : 0, threads);
  if (!allowWinograd) key = DirectKey(std::move(key));
  ForwardEntry* e = g_forward.Find(key);
  if (e != nullptr) return e;
  auto& eng = CpuEngine();
  auto entry = std::make_unique<ForwardEntry>();
  auto pd = ChooseAlgorithm(g, Pass::kForward, threads, allowWinograd, entry->winograd, [&](bool wino) {
    return ForwardPrimitiveDesc(g, bias, wino, AlgorithmOf(wino));
  });
  entry->prim = dnnl::convolution_forward(pd);
  entry->x.Init(g.XDesc(), pd.src_desc(), false);
  entry->y.Init(g.YDesc(), pd.dst_desc(), true);
  if (bias) entry->b = memory({{g.oc}, dt::f32, tag::a}, eng, nullptr);
  entry->w.Init(g.WDesc(), pd.weights_desc(), threads);
  entry->impl = pd.impl_info_str();
  return g_forward.Insert(key, std::move(entry));
}

// conv2dForward(x, filter, bias|null, y, geometry, activation, alpha)
napi_value Conv2dForward(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  ConvGeometry g = ParseGeometry(a, 4);
  float* x = a.F32(0, "x", g.XSize());
  float* w = a.F32(1, "filter", g.WSize());
  float* b = a.F32OrNull(2, "bias", g.oc);
  float* y = a.F32(3, "y", g.YSize());
  int64_t act = a.Int(5, "activation", 0, 5);
  float alpha = static_cast<float>(a.Num(6, "alpha"));

  int threads = UseThreadsForFlops(g.Flops());
  if (FewChannelForward(g, x, w, b, y, static_cast<int>(act), alpha)) return Undefined(a.env);
  ForwardEntry* e = ForwardFor(g, b != nullptr, threads, true);
  if (e->winograd && !(AllFinite(x, g.XSize()) && AllFinite(w, g.WSize()))) e = ForwardFor(g, b != nullptr, threads, false);
  char* scratch = ScratchFor(e->x, e->y);
  std::unordered_map<int, memory> margs = {
      {DNNL_ARG_SRC, e->x.Bind(x, scratch)}, {DNNL_ARG_WEIGHTS, e->w.Bind(w, threads)}, {DNNL_ARG_DST, e->y.Bind(y, scratch)}};
  if (b) {
    e->b.set_data_handle(b);
    margs[DNNL_ARG_BIAS] = e->b;
  }
  e->prim.execute(CpuStream(), margs);
  e->y.Finish();
  CpuStream().wait();
  ActivateOutput(y, static_cast<int64_t>(g.YSize()), act, alpha);
  return Undefined(a.env);
}

// The cached input-gradient primitive for the geometry (allowWinograd false: direct kernels only).
BackwardDataEntry* BackwardDataFor(const ConvGeometry& g, int threads, bool allowWinograd) {
  CacheKey key = g.Key(2, threads);
  if (!allowWinograd) key = DirectKey(std::move(key));
  BackwardDataEntry* e = g_backwardData.Find(key);
  if (e != nullptr) return e;
  auto entry = std::make_unique<BackwardDataEntry>();
  auto pd = ChooseAlgorithm(g, Pass::kBackwardData, threads, allowWinograd, entry->winograd, [&](bool wino) {
    return BackwardDataPrimitiveDesc(g, wino, AlgorithmOf(wino));
  });
  entry->prim = dnnl::convolution_backward_data(pd);
  entry->dy.Init(g.YDesc(), pd.diff_dst_desc(), false);
  entry->dx.Init(g.XDesc(), pd.diff_src_desc(), true);
  entry->w.Init(g.WDesc(), pd.weights_desc(), threads);
  entry->impl = pd.impl_info_str();
  return g_backwardData.Insert(key, std::move(entry));
}

// conv2dBackwardData(dy, filter, dx, geometry): dx = conv_transpose(dy, filter).
napi_value Conv2dBackwardData(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  ConvGeometry g = ParseGeometry(a, 3);
  float* dy = a.F32(0, "dy", g.YSize());
  float* w = a.F32(1, "filter", g.WSize());
  float* dx = a.F32(2, "dx", g.XSize());

  int threads = UseThreadsForFlops(g.Flops());
  if (FewChannelBackwardData(g, dy, w, dx)) return Undefined(a.env);
  if (FewInputChannels(g)) {
    BackwardDataFewInputChannels(g, dy, w, dx, threads);
    return Undefined(a.env);
  }
  if (TiledBackwardData(g, dy, w, dx, threads)) return Undefined(a.env);
  BackwardDataEntry* e = BackwardDataFor(g, threads, true);
  if (e->winograd && !(AllFinite(dy, g.YSize()) && AllFinite(w, g.WSize()))) e = BackwardDataFor(g, threads, false);
  char* scratch = ScratchFor(e->dy, e->dx);
  e->prim.execute(CpuStream(), {{DNNL_ARG_DIFF_DST, e->dy.Bind(dy, scratch)},
                                {DNNL_ARG_WEIGHTS, e->w.Bind(w, threads)},
                                {DNNL_ARG_DIFF_SRC, e->dx.Bind(dx, scratch)}});
  e->dx.Finish();
  CpuStream().wait();
  return Undefined(a.env);
}

// The cached filter-gradient primitive for the geometry (allowWinograd false: direct kernels only).
BackwardWeightsEntry* BackwardWeightsFor(const ConvGeometry& g, int threads, bool allowWinograd) {
  CacheKey key = g.Key(3, threads);
  if (!allowWinograd) key = DirectKey(std::move(key));
  BackwardWeightsEntry* e = g_backwardWeights.Find(key);
  if (e != nullptr) return e;
  auto& eng = CpuEngine();
  bool blocked = BlockedFilterGradient(g, threads);
  auto entry = std::make_unique<BackwardWeightsEntry>();
  auto pd = ChooseAlgorithm(g, Pass::kBackwardWeights, threads, allowWinograd, entry->winograd, [&](bool wino) {
    return BackwardWeightsPrimitiveDesc(g, blocked || wino, AlgorithmOf(wino));
  });
  entry->prim = dnnl::convolution_backward_weights(pd);
  entry->x.Init(g.XDesc(), pd.src_desc(), false);
  entry->dy.Init(g.YDesc(), pd.diff_dst_desc(), false);
  entry->dwUser = memory(g.WDesc(), eng, nullptr);
  if (pd.diff_weights_desc() != g.WDesc()) {
    entry->dwPrim = memory(pd.diff_weights_desc(), eng);
    entry->reorder = SingleThreadReorder(entry->dwPrim, entry->dwUser, threads);
  } else {
    entry->dwPrim = entry->dwUser;
  }
  entry->impl = pd.impl_info_str();
  return g_backwardWeights.Insert(key, std::move(entry));
}

// The filter gradient on the fastest path that takes the geometry.
void BackwardFilter(const ConvGeometry& g, float* x, float* dy, float* dw, int threads) {
  if (FewChannelBackwardFilter(g, x, dy, dw)) return;
  if (TiledBackwardFilter(g, x, dy, dw, threads)) return;
  BackwardWeightsEntry* e = BackwardWeightsFor(g, threads, true);
  e->dwUser.set_data_handle(dw);
  char* scratch = ScratchFor(e->x, e->dy);
  e->prim.execute(CpuStream(), {{DNNL_ARG_SRC, e->x.Bind(x, scratch)},
                                {DNNL_ARG_DIFF_DST, e->dy.Bind(dy, scratch)},
                                {DNNL_ARG_DIFF_WEIGHTS, e->dwPrim}});
  if (e->reorder) {
    CpuStream().wait();
    UseThreads(1);
    e->reorder->execute(CpuStream(), e->dwPrim, e->dwUser);
  }
  CpuStream().wait();
}

// The filter gradient as TF.js's cpu kernel computes it: taps that fall into the padding are
// skipped, not multiplied by zero. One thread, plain loops; for the rare call below only.
void ReferenceBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  std::fill(dw, dw + g.WSize(), 0.f);
  for (int64_t i = 0; i < g.kh; ++i) {
    for (int64_t j = 0; j < g.kw; ++j) {
      float* tap = dw + (i * g.kw + j) * g.c * g.oc;
      for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          int64_t ih = oh * g.sh - g.pt + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            int64_t iw = ow * g.sw - g.pl + j * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const float* xp = x + ((n * g.h + ih) * g.w + iw) * g.c;
            const float* dyp = dy + ((n * g.oh + oh) * g.ow + ow) * g.oc;
            for (int64_t ci = 0; ci < g.c; ++ci) {
              for (int64_t o = 0; o < g.oc; ++o) tap[ci * g.oc + o] += xp[ci] * dyp[o];
            }
          }
        }
      }
    }
  }
}

// conv2dBackwardFilter(x, dy, dw, geometry)
napi_value Conv2dBackwardFilter(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  ConvGeometry g = ParseGeometry(a, 3);
  float* x = a.F32(0, "x", g.XSize());
  float* dy = a.F32(1, "dy", g.YSize());
  float* dw = a.F32(2, "dw", g.WSize());

  BackwardFilter(g, x, dy, dw, UseThreadsForFlops(g.Flops()));
  // The fast paths read the padding as zeros, and Winograd mixes neighbouring inputs, so a NaN or
  // an infinity in x or dy reaches taps there that TF.js never multiplies by it. A filter
  // gradient that is not all finite (a look at the small dw, not at x and dy) is computed again
  // the way TF.js does: results stay TF.js's whenever NaN appears, at no cost otherwise.
  if (!AllFinite(dw, g.WSize())) ReferenceBackwardFilter(g, x, dy, dw);
  return Undefined(a.env);
}

// conv2dImplementation(kind, geometry, withBias, activation, alpha): oneDNN's name for the
// kernel a cached convolution runs ("brgconv:avx512_core", "jit_wino_4x3:avx512_core", ...) at
// the current thread count; kind 0 is the forward pass (with the bias and activation given), 1
// the input gradient, 2 the filter gradient; "tiled:" and the CPU tier ("tiled:avx2", ...) for a
// gradient that runs on tiledconv.h's kernels. An empty string when that convolution has not run
// through oneDNN (not yet, or on the few-channel kernels).
napi_value Conv2dImplementation(Args& a) {
  int64_t kind = a.Int(0, "kind", 0, 2);
  ConvGeometry g = ParseGeometry(a, 1);
  int threads = ThreadsForFlops(g.Flops());
  const std::string& tiled = TiledImplementationName();
  const std::string* impl = nullptr;
  if (kind == 0) {
    // (the activation, arguments 3 and 4, runs after the primitive and is not part of its key)
    if (auto* e = g_forward.Find(g.Key(a.Int(2, "withBias", 0, 1), threads))) impl = &e->impl;
  } else if (kind == 1 && TiledBackwardDataFits(g, threads)) {
    impl = &tiled;
  } else if (kind == 1) {
    if (auto* e = g_backwardData.Find(g.Key(2, threads))) impl = &e->impl;
  } else if (TiledBackwardFilterFits(g, threads)) {
    impl = &tiled;
  } else if (auto* e = g_backwardWeights.Find(g.Key(3, threads))) {
    impl = &e->impl;
  }
  napi_value out;
  napi_create_string_utf8(a.env, impl ? impl->c_str() : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

ONEDNN_CALLBACK(Conv2dForwardCb, "conv2dForward", 7, Conv2dForward)
ONEDNN_CALLBACK(Conv2dBackwardDataCb, "conv2dBackwardData", 4, Conv2dBackwardData)
ONEDNN_CALLBACK(Conv2dBackwardFilterCb, "conv2dBackwardFilter", 4, Conv2dBackwardFilter)
ONEDNN_CALLBACK(Conv2dImplementationCb, "conv2dImplementation", 5, Conv2dImplementation)

}  // namespace

void RegisterConv(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "conv2dForward", Conv2dForwardCb);
  ExportFunction(env, exports, "conv2dBackwardData", Conv2dBackwardDataCb);
  ExportFunction(env, exports, "conv2dBackwardFilter", Conv2dBackwardFilterCb);
  ExportFunction(env, exports, "conv2dImplementation", Conv2dImplementationCb);
}

void ClearConvCache() {
  g_forward.Clear();
  g_backwardData.Clear();
  g_backwardWeights.Clear();
}

}  // namespace onednn_addon
