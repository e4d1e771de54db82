// The register-tiled gradients (native/tiledconv.cc) against oneDNN's, layer by layer,
// for the strided layers of the presets. Build and run from the package folder (oneDNN from
// Debian's libdnnl-dev) after the addon's build, which leaves the tiers' kernels in
// build/Release/obj.target/kernels_*.a:
//   g++ -O2 -fopenmp -std=c++20 -Inative bench/tiled-conv.cc native/tiledconv.cc native/cpu_tier.cc \
//     build/Release/obj.target/kernels_*.a -o /tmp/tiled-conv -ldnnl
//   OMP_NUM_THREADS=1 /tmp/tiled-conv 1
//   OMP_NUM_THREADS=2 /tmp/tiled-conv 2
// (GANTRY_CPU_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 for the AVX2 tier against oneDNN's AVX2 kernels.)
// oneDNN runs as conv.cc runs it: its filter gradient on one thread on its blocked layouts (x
// and dy reordered into them, the reorders timed), on two on NHWC, the filter leaving in HWIO;
// its input gradient on NHWC, the filter reordered in. Every figure is
// the median of 31 calls in milliseconds, each after a 64 MB buffer was touched (caches
// flushed, as in a training step where other layers ran in between). The largest difference
// from a double-precision sum is printed beside.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dnnl_compat.h"
#include "tiledconv.h"

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using onednn_addon::ConvGeometry;
namespace compat = onednn_addon::dnnl_compat;

dnnl::engine eng(dnnl::engine::kind::cpu, 0);
dnnl::stream strm(eng);
std::vector<float> junk(16 << 20);

double Now() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename F>
double Median(F f, int reps = 31) {
  f();
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    for (size_t j = 0; j < junk.size(); j += 16) junk[j] += 1;
    double a = Now();
    f();
    strm.wait();
    t.push_back(Now() - a);
  }
  std::sort(t.begin(), t.end());
  return t[reps / 2];
}

void Report(const char* name, int threads, const char* pass, bool taken, double tiled, double dnn, double mflop,
            double errTiled, double errDnn) {
  if (!taken) {
    printf("%-46s %d thread(s), %s: not taken; oneDNN %6.2f ms (%3.0f GFLOP/s)\n", name, threads, pass, dnn, mflop / dnn);
    return;
  }
  printf("%-46s %d thread(s), %s: tiled %6.2f ms (%3.0f GFLOP/s), oneDNN %6.2f (%3.0f); max error %.1e against %.1e\n", name,
         threads, pass, tiled, mflop / tiled, dnn, mflop / dnn, errTiled, errDnn);
}

// f(x offset, y offset, tap) for every input pixel a filter tap joins to an output pixel:
// the direct sum both reference results are made of.
template <typename F>
void ForEachProduct(const ConvGeometry& g, F f) {
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            int64_t ih = oh * g.sh - g.pt + i, iw = ow * g.sw - g.pl + j;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            f(((b * g.h + ih) * g.w + iw) * g.c, ((b * g.oh + oh) * g.ow + ow) * g.oc, i * g.kw + j);
          }
}

// n images of h x h x c through a k x k stride-s 'same' layer to oc channels
ConvGeometry Same(int64_t n, int64_t h, int64_t c, int64_t oc, int64_t k, int64_t s) {
  int64_t o = (h + s - 1) / s, pad = std::max<int64_t>(0, (o - 1) * s + k - h);
  return {n, h, h, c, k, k, oc, o, o, s, s, 1, 1, pad / 2, pad / 2, pad - pad / 2, pad - pad / 2};
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  omp_set_num_threads(threads);
  struct Case {
    const char* name;
    ConvGeometry g;
  };
  Case cases[] = {
      {"dcgan-mnist D 14x14x64 to 128, D step", Same(128, 14, 64, 128, 4, 2)},
      {"dcgan-mnist D 14x14x64 to 128 / G 128 to 64", Same(64, 14, 64, 128, 4, 2)},
      {"dcgan64 32x32x32 to 64", Same(64, 32, 32, 64, 4, 2)},
      {"dcgan64 16x16x64 to 128", Same(64, 16, 64, 128, 4, 2)},
      {"dcgan64 8x8x128 to 256", Same(64, 8, 128, 256, 4, 2)},
      {"resnet-folder32 G 128 channels, 32x32 to 16x16", Same(32, 32, 128, 128, 4, 2)},
  };
  for (auto& [name, g] : cases) {
    const bool filterTaken = onednn_addon::TiledBackwardFilterFits(g, threads);
    const bool dataTaken = onednn_addon::TiledBackwardDataFits(g, threads);
    double mflop = g.Flops() / 1e6;
    std::vector<float> X(g.XSize()), Y(g.YSize()), W(g.WSize()), Wd(g.WSize());
    srand(1);
    for (auto& v : X) v = rand() / (float)RAND_MAX - 0.5f;
    for (auto& v : Y) v = rand() / (float)RAND_MAX - 0.5f;
    std::vector<double> ref(W.size(), 0.0);
    ForEachProduct(g, [&](int64_t xAt, int64_t yAt, int64_t tap) {
      for (int64_t c = 0; c < g.c; ++c)
        for (int64_t o = 0; o < g.oc; ++o) ref[(tap * g.c + c) * g.oc + o] += (double)X[xAt + c] * Y[yAt + o];
    });
    bool blocked = threads == 1;
    memory::desc xD = blocked ? g.XAny() : g.XDesc(), yD = blocked ? g.YAny() : g.YDesc();
    auto alg = dnnl::algorithm::convolution_direct;
    const compat::ConvWindow win{g.Strides(), g.Dilations(), g.PadL(), g.PadR()};
    auto hint = compat::ConvolutionForward(eng, dnnl::prop_kind::forward_training, alg, xD, g.WAny(), nullptr, yD, win);
    auto pd = compat::ConvolutionBackwardWeights(eng, alg, xD, g.WAny(), nullptr, yD, win, hint);
    memory xu(g.XDesc(), eng, X.data()), yu(g.YDesc(), eng, Y.data()), dwu(g.WDesc(), eng, Wd.data());
    memory xp(pd.src_desc(), eng), yp(pd.diff_dst_desc(), eng), dwp(pd.diff_weights_desc(), eng);
    dnnl::reorder rx(xu, xp), ry(yu, yp), rw(dwp, dwu);
    dnnl::convolution_backward_weights prim(pd);
    double tDnn = Median([&] {
      if (blocked) {
        rx.execute(strm, xu, xp);
        ry.execute(strm, yu, yp);
      }
      prim.execute(strm, {{DNNL_ARG_SRC, blocked ? xp : xu}, {DNNL_ARG_DIFF_DST, blocked ? yp : yu}, {DNNL_ARG_DIFF_WEIGHTS, dwp}});
      rw.execute(strm, dwp, dwu);
    });
    double tTiled = filterTaken ? Median([&] { onednn_addon::TiledBackwardFilter(g, X.data(), Y.data(), W.data(), threads); }) : 0;
    double eT = 0, eD = 0;
    for (size_t k = 0; k < W.size(); ++k) {
      eT = std::max(eT, std::fabs(W[k] - ref[k]));
      eD = std::max(eD, std::fabs(Wd[k] - ref[k]));
    }
    Report(name, threads, "filter gradient", filterTaken, tTiled, tDnn, mflop, eT, eD);

    // the input gradient, of dy through the filter W (oneDNN on NHWC, as conv.cc runs it)
    std::vector<float> Wf(g.WSize()), DX(g.XSize()), DXd(g.XSize());
    for (auto& v : Wf) v = rand() / (float)RAND_MAX - 0.5f;
    std::vector<double> dref(DX.size(), 0.0);
    ForEachProduct(g, [&](int64_t xAt, int64_t yAt, int64_t tap) {
      for (int64_t c = 0; c < g.c; ++c) {
        const float* wr = &Wf[(tap * g.c + c) * g.oc];
        double sum = 0;
        for (int64_t o = 0; o < g.oc; ++o) sum += (double)wr[o] * Y[yAt + o];
        dref[xAt + c] += sum;
      }
    });
    auto hintD = compat::ConvolutionForward(eng, dnnl::prop_kind::forward_training, alg, g.XDesc(), g.WAny(), nullptr,
                                            g.YDesc(), win);
    auto pdD = compat::ConvolutionBackwardData(eng, alg, g.XDesc(), g.WAny(), g.YDesc(), win, hintD);
    memory wu(g.WDesc(), eng, Wf.data()), wp(pdD.weights_desc(), eng), dxu(g.XDesc(), eng, DXd.data());
    dnnl::reorder rwD(wu, wp);
    dnnl::convolution_backward_data primD(pdD);
    double dDnn = Median([&] {
      rwD.execute(strm, wu, wp);
      primD.execute(strm, {{DNNL_ARG_DIFF_DST, yu}, {DNNL_ARG_WEIGHTS, wp}, {DNNL_ARG_DIFF_SRC, dxu}});
    });
    double dTiled = dataTaken ? Median([&] { onednn_addon::TiledBackwardData(g, Y.data(), Wf.data(), DX.data(), threads); }) : 0;
    double dT = 0, dD = 0;
    for (size_t k = 0; k < DX.size(); ++k) {
      dT = std::max(dT, std::fabs(DX[k] - dref[k]));
      dD = std::max(dD, std::fabs(DXd[k] - dref[k]));
    }
    Report(name, threads, "input gradient ", dataTaken, dTiled, dDnn, mflop, dT, dD);
  }
  return 0;
}
