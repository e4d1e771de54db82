#include "runtime.h"

#include <omp.h>

namespace onednn_addon {

namespace {
int g_configured = 1;
int g_active = -1;
}  // namespace

dnnl::engine& CpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& CpuStream() {
  static dnnl::stream s(CpuEngine());
  return s;
}

int ConfiguredThreads() { return g_configured; }

void SetConfiguredThreads(int n) {
  g_configured = n < 1 ? 1 : n;
  g_active = -1;
}

int UseThreadsFor(double flops) {
  int n = flops >= kParallelFlopThreshold ? g_configured : 1;
  if (n != g_active) {
    omp_set_num_threads(n);
    g_active = n;
  }
  return n;
}

}  // namespace onednn_addon
