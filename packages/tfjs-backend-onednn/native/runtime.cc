#include "runtime.h"

#include <omp.h>
#include <pthread.h>

#include <bit>
#include <cstdint>
#include <cstdlib>

#include "environment.h"

namespace onednn_addon {

namespace {
int g_configured = 1;
int g_active = -1;

const sigset_t& AsynchronousSignals() {
  static const sigset_t set = [] {
    sigset_t s;
    sigfillset(&s);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&s, sig);
    return s;
  }();
  return set;
}
}  // namespace

SignalsHeld::SignalsHeld() { pthread_sigmask(SIG_BLOCK, &AsynchronousSignals(), &previous_); }
SignalsHeld::~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

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

// GANTRY_PARALLEL_MIN_MFLOPS, read once (runtime.h says why the bound is 100 MFLOP).
double ParallelFlopThreshold() {
  static const double threshold = environment::Read(environment::kParallelMinMflops) * 1.0e6;
  return threshold;
}

void UseThreads(int n) {
  if (n != g_active) {
    omp_set_num_threads(n);
    g_active = n;
  }
}

// GANTRY_PARALLEL_MIN_ELEMENTS, read once (runtime.h says why the bound is 1M floats).
int64_t ParallelElementThreshold() {
  static const int64_t threshold = environment::Read(environment::kParallelMinElements);
  return threshold;
}

int ThreadsForElements(int64_t n) { return n >= ParallelElementThreshold() ? g_configured : 1; }

int ThreadsForFlops(double flops) { return flops >= ParallelFlopThreshold() ? g_configured : 1; }

int UseThreadsForFlops(double flops) {
  int n = ThreadsForFlops(flops);
  UseThreads(n);
  return n;
}

GANTRY_VECTOR_CLONES bool AllFinite(const float* p, size_t n) {
  uint32_t bad = 0;  // exponent bits all ones: NaN or an infinity
  for (size_t i = 0; i < n; ++i) bad |= (std::bit_cast<uint32_t>(p[i]) & 0x7f800000u) == 0x7f800000u;
  return bad == 0;
}

}  // namespace onednn_addon
