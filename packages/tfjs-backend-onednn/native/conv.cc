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
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "args.h"
#include "conv_geometry.h"
#include "fewconv.h"
#include "families.h"
#include "primitive_cache.h"
#include "runtime.h"

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

// With `blocked`, x and y are left to oneDNN's choice of layout as well (format `any`).
dnnl::convolution_forward::desc ForwardDesc(const ConvGeometry& g, bool withBias, bool blocked = false) {
  auto kind = dnnl::prop_kind::forward_training;
  auto alg = dnnl::algorithm::convolution_direct;
  memory::desc x = blocked ? g.XAny() : g.XDesc();
  memory::desc y = blocked ? g.YAny() : g.YDesc();
  if (withBias) {
    memory::desc b({g.oc}, dt::f32, tag::a);
    return dnnl::convolution_forward::desc(kind, alg, x, g.WAny(), b, y, g.Strides(), g.Dilations(), g.PadL(),
                                           g.PadR());
  }
  return dnnl::convolution_forward::desc(kind, alg, x, g.WAny(), y, g.Strides(), g.Dilations(), g.PadL(), g.PadR());
}

// Appends the fused activation as a oneDNN post-op (codes match activation.ts).
void AppendActivation(Args& a, dnnl::post_ops& ops, int64_t act, float alpha) {
  using alg = dnnl::algorithm;
  switch (act) {
    case 0: break;
    case 1: ops.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f); break;
    case 2: ops.append_eltwise(1.f, alg::eltwise_clip, 0.f, 6.f); break;
    case 3: ops.append_eltwise(1.f, alg::eltwise_relu, alpha, 0.f); break;
    case 4: ops.append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f); break;
    case 5: ops.append_eltwise(1.f, alg::eltwise_elu, 1.f, 0.f); break;
    default: a.Fail("activation", "is not a known activation code");
  }
}

// A backward primitive (data or weights) for the geometry; both take the same
// descriptor arguments and the forward primitive as their hint. With `blocked`, x and dy
// are left to oneDNN's choice of layout as well (format `any`).
template <typename Backward>
typename Backward::primitive_desc BackwardPrimitiveDesc(const ConvGeometry& g, bool blocked = false) {
  auto& eng = CpuEngine();
  dnnl::convolution_forward::primitive_desc hint(ForwardDesc(g, false, blocked), eng);
  typename Backward::desc d(dnnl::algorithm::convolution_direct, blocked ? g.XAny() : g.XDesc(), g.WAny(),
                            blocked ? g.YAny() : g.YDesc(), g.Strides(), g.Dilations(), g.PadL(), g.PadR());
  return typename Backward::primitive_desc(d, eng, hint);
}

// The filter gradient on oneDNN's blocked layouts: x and dy are reordered into them first.
// On one thread, for strided convolutions with 32 or more channels on both sides, its kernels
// beat the NHWC ones by more than the reorders cost: the 4x4 stride-2 layers of dcgan-mnist
// and dcgan64 ran 3 to 10% faster alone, reorders included, with x and dy out of cache, and
// their filter gradients took 7% less time inside a training step. For 3x3 stride-1 layers
// the NHWC kernels were as fast or faster (up to 30% at 16 channels), and on two threads the
// blocked path made dcgan-mnist's filter gradients slower (12.4 against 11.1 ms per step), so
// those stay as they are. GANTRY_BLOCKED_FILTER_GRADIENT=0 keeps every filter gradient on
// NHWC (to compare the two).
bool BlockedFilterGradient(const ConvGeometry& g, int threads) {
  static const bool on = [] {
    const char* env = std::getenv("GANTRY_BLOCKED_FILTER_GRADIENT");
    return env == nullptr || std::string(env) != "0";
  }();
  return on && threads == 1 && g.c >= 32 && g.oc >= 32 && (g.sh > 1 || g.sw > 1);
}

// One 64-byte aligned scratch buffer shared by every blocked filter gradient of a thread, so
// the cached primitives hold no activation-sized memory of their own.
float* BlockedScratch(size_t bytes) {
  thread_local std::unique_ptr<float, decltype(&std::free)> buffer(nullptr, &std::free);
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    size_t rounded = (bytes + 63) / 64 * 64;
    float* fresh = static_cast<float*>(std::aligned_alloc(64, rounded));
    if (fresh == nullptr) throw std::bad_alloc();
    buffer.reset(fresh);
    capacity = rounded;
  }
  return buffer.get();
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

struct ForwardEntry {
  dnnl::convolution_forward prim;
  memory x, y, b;
  WeightsIn w;
};

struct BackwardDataEntry {
  dnnl::convolution_backward_data prim;
  memory dy, dx;
  WeightsIn w;
};

struct BackwardWeightsEntry {
  dnnl::convolution_backward_weights prim;
  memory x, dy, dwUser, dwPrim;
  std::unique_ptr<dnnl::reorder> reorder;
  // blocked layouts only: x and dy in the primitive's layouts, in the shared scratch
  memory xPrim, dyPrim;
  std::unique_ptr<dnnl::reorder> reorderX, reorderDy;
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
constexpr int64_t kFewChannels = 4;

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

  int threads = UseThreadsFor(g.Flops());
  if (FewChannelForward(g, x, w, b, y, static_cast<int>(act), alpha)) return Undefined(a.env);
  CacheKey key = g.Key(b ? 1 : 0, threads);
  key.push_back((double)act);
  key.push_back(alpha);
  ForwardEntry* e = g_forward.Find(key);
  if (e == nullptr) {
    auto& eng = CpuEngine();
    dnnl::post_ops ops;
    AppendActivation(a, ops, act, alpha);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    dnnl::convolution_forward::primitive_desc pd(ForwardDesc(g, b != nullptr), attr, eng);
    auto entry = std::make_unique<ForwardEntry>();
    entry->prim = dnnl::convolution_forward(pd);
    entry->x = memory(g.XDesc(), eng, nullptr);
    entry->y = memory(g.YDesc(), eng, nullptr);
    if (b) entry->b = memory({{g.oc}, dt::f32, tag::a}, eng, nullptr);
    entry->w.Init(g.WDesc(), pd.weights_desc(), threads);
    e = g_forward.Insert(key, std::move(entry));
  }
  e->x.set_data_handle(x);
  e->y.set_data_handle(y);
  std::unordered_map<int, memory> margs = {
      {DNNL_ARG_SRC, e->x}, {DNNL_ARG_WEIGHTS, e->w.Bind(w, threads)}, {DNNL_ARG_DST, e->y}};
  if (b) {
    e->b.set_data_handle(b);
    margs[DNNL_ARG_BIAS] = e->b;
  }
  e->prim.execute(CpuStream(), margs);
  CpuStream().wait();
  return Undefined(a.env);
}

// conv2dBackwardData(dy, filter, dx, geometry): dx = conv_transpose(dy, filter).
napi_value Conv2dBackwardData(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  ConvGeometry g = ParseGeometry(a, 3);
  float* dy = a.F32(0, "dy", g.YSize());
  float* w = a.F32(1, "filter", g.WSize());
  float* dx = a.F32(2, "dx", g.XSize());

  int threads = UseThreadsFor(g.Flops());
  if (FewChannelBackwardData(g, dy, w, dx)) return Undefined(a.env);
  if (FewInputChannels(g)) {
    BackwardDataFewInputChannels(g, dy, w, dx, threads);
    return Undefined(a.env);
  }
  CacheKey key = g.Key(2, threads);
  BackwardDataEntry* e = g_backwardData.Find(key);
  if (e == nullptr) {
    auto& eng = CpuEngine();
    auto pd = BackwardPrimitiveDesc<dnnl::convolution_backward_data>(g);
    auto entry = std::make_unique<BackwardDataEntry>();
    entry->prim = dnnl::convolution_backward_data(pd);
    entry->dy = memory(g.YDesc(), eng, nullptr);
    entry->dx = memory(g.XDesc(), eng, nullptr);
    entry->w.Init(g.WDesc(), pd.weights_desc(), threads);
    e = g_backwardData.Insert(key, std::move(entry));
  }
  e->dy.set_data_handle(dy);
  e->dx.set_data_handle(dx);
  e->prim.execute(CpuStream(), {{DNNL_ARG_DIFF_DST, e->dy},
                                {DNNL_ARG_WEIGHTS, e->w.Bind(w, threads)},
                                {DNNL_ARG_DIFF_SRC, e->dx}});
  CpuStream().wait();
  return Undefined(a.env);
}

// conv2dBackwardFilter(x, dy, dw, geometry)
napi_value Conv2dBackwardFilter(Args& a) {
  SignalsHeld held;  // see runtime.h: the gemm kernels must not take a signal
  ConvGeometry g = ParseGeometry(a, 3);
  float* x = a.F32(0, "x", g.XSize());
  float* dy = a.F32(1, "dy", g.YSize());
  float* dw = a.F32(2, "dw", g.WSize());

  int threads = UseThreadsFor(g.Flops());
  if (FewChannelBackwardFilter(g, x, dy, dw)) return Undefined(a.env);
  CacheKey key = g.Key(3, threads);
  BackwardWeightsEntry* e = g_backwardWeights.Find(key);
  if (e == nullptr) {
    auto& eng = CpuEngine();
    bool blocked = BlockedFilterGradient(g, threads);
    auto pd = BackwardPrimitiveDesc<dnnl::convolution_backward_weights>(g, blocked);
    auto entry = std::make_unique<BackwardWeightsEntry>();
    entry->prim = dnnl::convolution_backward_weights(pd);
    entry->x = memory(g.XDesc(), eng, nullptr);
    entry->dy = memory(g.YDesc(), eng, nullptr);
    if (blocked) {
      entry->xPrim = memory(pd.src_desc(), eng, nullptr);
      entry->dyPrim = memory(pd.diff_dst_desc(), eng, nullptr);
      entry->reorderX = std::make_unique<dnnl::reorder>(entry->x, entry->xPrim);
      entry->reorderDy = std::make_unique<dnnl::reorder>(entry->dy, entry->dyPrim);
    }
    entry->dwUser = memory(g.WDesc(), eng, nullptr);
    if (pd.diff_weights_desc() != g.WDesc()) {
      entry->dwPrim = memory(pd.diff_weights_desc(), eng);
      entry->reorder = SingleThreadReorder(entry->dwPrim, entry->dwUser, threads);
    } else {
      entry->dwPrim = entry->dwUser;
    }
    e = g_backwardWeights.Insert(key, std::move(entry));
  }
  e->x.set_data_handle(x);
  e->dy.set_data_handle(dy);
  e->dwUser.set_data_handle(dw);
  memory* src = &e->x;
  memory* diffDst = &e->dy;
  if (e->reorderX) {
    size_t xBytes = (e->xPrim.get_desc().get_size() + 63) / 64 * 64;
    char* scratch = reinterpret_cast<char*>(BlockedScratch(xBytes + e->dyPrim.get_desc().get_size()));
    e->xPrim.set_data_handle(scratch);
    e->dyPrim.set_data_handle(scratch + xBytes);
    e->reorderX->execute(CpuStream(), e->x, e->xPrim);
    e->reorderDy->execute(CpuStream(), e->dy, e->dyPrim);
    src = &e->xPrim;
    diffDst = &e->dyPrim;
  }
  e->prim.execute(CpuStream(), {{DNNL_ARG_SRC, *src},
                                {DNNL_ARG_DIFF_DST, *diffDst},
                                {DNNL_ARG_DIFF_WEIGHTS, e->dwPrim}});
  if (e->reorder) {
    CpuStream().wait();
    UseThreads(1);
    e->reorder->execute(CpuStream(), e->dwPrim, e->dwUser);
  }
  CpuStream().wait();
  return Undefined(a.env);
}

ONEDNN_CALLBACK(Conv2dForwardCb, "conv2dForward", 7, Conv2dForward)
ONEDNN_CALLBACK(Conv2dBackwardDataCb, "conv2dBackwardData", 4, Conv2dBackwardData)
ONEDNN_CALLBACK(Conv2dBackwardFilterCb, "conv2dBackwardFilter", 4, Conv2dBackwardFilter)

}  // namespace

void RegisterConv(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "conv2dForward", Conv2dForwardCb);
  ExportFunction(env, exports, "conv2dBackwardData", Conv2dBackwardDataCb);
  ExportFunction(env, exports, "conv2dBackwardFilter", Conv2dBackwardFilterCb);
}

void ClearConvCache() {
  g_forward.Clear();
  g_backwardData.Clear();
  g_backwardWeights.Clear();
}

}  // namespace onednn_addon
