// Single oneDNN convolutions timed alone, for the comparisons in docs/performance.md that a
// training step cannot make on its own. Build and run (oneDNN from Debian's libdnnl-dev):
//   g++ -O2 -fopenmp -std=c++17 -I../native layer-variants.cc -o /tmp/layer-variants -ldnnl
//   OMP_WAIT_POLICY=passive /tmp/layer-variants wake 2       # add GOMP_SPINCOUNT=... to compare
//   OMP_NUM_THREADS=1 /tmp/layer-variants bias
//   OMP_NUM_THREADS=1 /tmp/layer-variants space-to-depth
// Every figure is the median of 21 to 41 calls in milliseconds; where caches are flushed, a
// 64 MB buffer is touched between calls (outside the timing).
//   wake:           dcgan-mnist's 64-image input gradient (4x4 stride 2, 128 to 64 channels, 7x7
//                   to 14x14) on N threads, each call after the main thread has written dy and
//                   paused for 0 to 5000 us, as kernels follow each other inside a step.
//   bias:           filter gradients with and without oneDNN's bias gradient, and a plain sum
//                   over dy's rows, which is what the bias gradient replaces.
//   space-to-depth: a 4x4 stride-2 layer against the 2x2 stride-1 layer over its input put
//                   through space-to-depth (the same multiply-adds), forward, input and filter
//                   gradients, on NHWC and on oneDNN's blocked layouts.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "dnnl_compat.h"

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using dim = memory::dim;
namespace compat = onednn_addon::dnnl_compat;

dnnl::engine eng(dnnl::engine::kind::cpu, 0);
dnnl::stream strm(eng);
std::vector<float> junk(16 << 20);

double Now() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Flush() {
  for (size_t j = 0; j < junk.size(); j += 16) junk[j] += 1;
}

// Median of `reps` timed calls of f; before each, prepare() runs untimed.
template <typename F, typename P>
double Median(F f, P prepare, int reps = 21) {
  f();
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    prepare(i);
    double a = Now();
    f();
    strm.wait();
    t.push_back(Now() - a);
  }
  std::sort(t.begin(), t.end());
  return t[reps / 2];
}

struct Layer {
  dim n, c, h, oc, k, s, p;
  dim oh() const { return (h + 2 * p - k) / s + 1; }
  memory::dims x() const { return {n, c, h, h}; }
  memory::dims y() const { return {n, oc, oh(), oh()}; }
  memory::dims w() const { return {oc, c, k, k}; }
  compat::ConvWindow window() const { return {{s, s}, {0, 0}, {p, p}, {p, p}}; }
  double mflop() const { return 2.0 * n * oh() * oh() * oc * k * k * c / 1e6; }
};

dnnl::convolution_forward::primitive_desc Forward(const Layer& L, tag act, bool bias = false) {
  memory::desc x(L.x(), dt::f32, act), y(L.y(), dt::f32, act), w(L.w(), dt::f32, tag::any), b({L.oc}, dt::f32, tag::a);
  auto kind = dnnl::prop_kind::forward_training;
  auto alg = dnnl::algorithm::convolution_direct;
  return compat::ConvolutionForward(eng, kind, alg, x, w, bias ? &b : nullptr, y, L.window());
}

void Wake(int threads) {
  omp_set_num_threads(threads);
  Layer L{64, 64, 14, 128, 4, 2, 1};
  std::vector<float> X(L.n * L.c * L.h * L.h), Y(L.n * L.oc * L.oh() * L.oh(), 0.2f);
  auto fwd = Forward(L, tag::nhwc);
  auto pd = compat::ConvolutionBackwardData(eng, dnnl::algorithm::convolution_direct, fwd.src_desc(),
                                            memory::desc(L.w(), dt::f32, tag::any), fwd.dst_desc(), L.window(), fwd);
  memory dx(pd.diff_src_desc(), eng, X.data()), dy(pd.diff_dst_desc(), eng, Y.data()), w(pd.weights_desc(), eng);
  dnnl::convolution_backward_data prim(pd);
  auto call = [&] { prim.execute(strm, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}}); };
  printf("input gradient, 64 images, %d thread(s), %s\n", threads, pd.impl_info_str());
  printf("  back to back: %.2f ms\n", Median(call, [](int) {}, 41));
  for (int us : {0, 50, 200, 1000, 5000}) {
    double t = Median(call, [&](int i) {
      std::fill(Y.begin(), Y.end(), static_cast<float>(i));  // dy written by the main thread
      if (us) std::this_thread::sleep_for(std::chrono::microseconds(us));
    }, 41);
    printf("  dy written, then a pause of %4d us: %.2f ms\n", us, t);
  }
}

void Bias() {
  for (Layer L : {Layer{128, 64, 14, 128, 4, 2, 1}, Layer{64, 64, 14, 128, 4, 2, 1}, Layer{64, 32, 32, 32, 3, 1, 1},
                  Layer{32, 16, 64, 16, 3, 1, 1}}) {
    std::vector<float> X(L.n * L.c * L.h * L.h, 0.1f), Y(L.n * L.oc * L.oh() * L.oh(), 0.2f), B(L.oc);
    auto fwd = Forward(L, tag::nhwc, true);
    memory::desc w(L.w(), dt::f32, tag::any), b({L.oc}, dt::f32, tag::a);
    auto alg = dnnl::algorithm::convolution_direct;
    auto plain = compat::ConvolutionBackwardWeights(eng, alg, fwd.src_desc(), w, nullptr, fwd.dst_desc(), L.window(), fwd);
    auto withBias = compat::ConvolutionBackwardWeights(eng, alg, fwd.src_desc(), w, &b, fwd.dst_desc(), L.window(), fwd);
    memory x(fwd.src_desc(), eng, X.data()), dy(fwd.dst_desc(), eng, Y.data()), db(b, eng, B.data());
    memory dw0(plain.diff_weights_desc(), eng), dw1(withBias.diff_weights_desc(), eng);
    dnnl::convolution_backward_weights p0(plain), p1(withBias);
    auto flush = [](int) { Flush(); };
    double t0 = Median([&] { p0.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw0}}); }, flush);
    double t1 = Median([&] { p1.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw1}, {DNNL_ARG_DIFF_BIAS, db}}); }, flush);
    double ts = Median([&] {
      std::fill(B.begin(), B.end(), 0.f);
      for (dim r = 0; r < L.n * L.oh() * L.oh(); ++r)
        for (dim c = 0; c < L.oc; ++c) B[c] += Y[r * L.oc + c];
    }, flush);
    printf("%ld images %ldx%ldx%ld to %ld channels, %ldx%ld stride %ld (%s): filter gradient %.2f ms, with the bias %.2f ms, "
           "a separate sum %.2f ms\n", L.n, L.h, L.h, L.c, L.oc, L.k, L.k, L.s, withBias.impl_info_str(), t0, t1, ts);
  }
}

void SpaceToDepth() {
  // dcgan-mnist's discriminator layer, and the same multiply-adds as a 2x2 stride-1 layer over
  // its padded 16x16 input put through space-to-depth (8x8, 4 times the channels)
  for (dim n : {128, 64}) {
    for (Layer L : {Layer{n, 64, 14, 128, 4, 2, 1}, Layer{n, 256, 8, 128, 2, 1, 0}}) {
      for (tag act : {tag::nhwc, tag::any}) {
        auto fwd = Forward(L, act);
        memory::desc w(L.w(), dt::f32, tag::any);
        auto alg = dnnl::algorithm::convolution_direct;
        auto bd = compat::ConvolutionBackwardData(eng, alg, fwd.src_desc(), w, fwd.dst_desc(), L.window(), fwd);
        auto bw = compat::ConvolutionBackwardWeights(eng, alg, fwd.src_desc(), w, nullptr, fwd.dst_desc(), L.window(), fwd);
        memory x(fwd.src_desc(), eng), y(fwd.dst_desc(), eng), wf(fwd.weights_desc(), eng), wd(bd.weights_desc(), eng);
        memory dx(bd.diff_src_desc(), eng), dyd(bd.diff_dst_desc(), eng), xw(bw.src_desc(), eng), dyw(bw.diff_dst_desc(), eng), dw(bw.diff_weights_desc(), eng);
        dnnl::convolution_forward f(fwd);
        dnnl::convolution_backward_data d(bd);
        dnnl::convolution_backward_weights g(bw);
        auto flush = [](int) { Flush(); };
        double tf = Median([&] { f.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, wf}, {DNNL_ARG_DST, y}}); }, flush);
        double td = Median([&] { d.execute(strm, {{DNNL_ARG_DIFF_DST, dyd}, {DNNL_ARG_WEIGHTS, wd}, {DNNL_ARG_DIFF_SRC, dx}}); }, flush);
        double tw = Median([&] { g.execute(strm, {{DNNL_ARG_SRC, xw}, {DNNL_ARG_DIFF_DST, dyw}, {DNNL_ARG_DIFF_WEIGHTS, dw}}); }, flush);
        printf("%ld images %ldx%ldx%ld, %ldx%ld stride %ld, %s: forward %.2f ms (%.0f GFLOP/s), input gradient %.2f (%.0f), "
               "filter gradient %.2f (%.0f)\n", L.n, L.h, L.h, L.c, L.k, L.k, L.s, act == tag::nhwc ? "NHWC" : "blocked",
               tf, L.mflop() / tf, td, L.mflop() / td, tw, L.mflop() / tw);
      }
    }
  }
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!std::strcmp(mode, "wake")) Wake(argc > 2 ? std::atoi(argv[2]) : 2);
  else if (!std::strcmp(mode, "bias")) Bias();
  else if (!std::strcmp(mode, "space-to-depth")) SpaceToDepth();
  else {
    fprintf(stderr, "usage: layer-variants wake [threads] | bias | space-to-depth\n");
    return 2;
  }
  return 0;
}
