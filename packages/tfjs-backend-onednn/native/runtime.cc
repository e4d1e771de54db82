#include "runtime.h"

#include <omp.h>
#include <pthread.h>

#include <bit>
#include <cstdint>
#include <cstdlib>

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

double ParallelFlopThreshold() {
  static const double threshold = [] {
    const char* env = std::getenv("GANTRY_PARALLEL_MIN_MFLOPS");
    double v = env ? std::atof(env) : 0.0;
    return v > 0.0 ? v * 1.0e6 : 1.0e8;
  }();
  return threshold;
}

void UseThreads(int n) {
  if (n != g_active) {
    omp_set_num_threads(n);
    g_active = n;
  }
}

// 0 when GANTRY_PARALLEL_MIN_ELEMENTS is not set.
int64_t EnvElementThreshold() {
  static const int64_t threshold = [] {
    const char* env = std::getenv("GANTRY_PARALLEL_MIN_ELEMENTS");
    long long v = env ? std::atoll(env) : 0;
    return v > 0 ? static_cast<int64_t>(v) : int64_t{0};
  }();
  return threshold;
}

int64_t ParallelElementThreshold() {
  int64_t env = EnvElementThreshold();
  if (env > 0) return env;
  return int64_t{1} << 20;
}

int ThreadsForElements(int64_t n) { return n >= ParallelElementThreshold() ? g_configured : 1; }

int ThreadsFor(double flops) { return flops >= ParallelFlopThreshold() ? g_configured : 1; }

int UseThreadsFor(double flops) {
  int n = ThreadsFor(flops);
  UseThreads(n);
  return n;
}

GANTRY_VECTOR_CLONES bool AllFinite(const float* p, size_t n) {
  uint32_t bad = 0;  // exponent bits all ones: NaN or an infinity
  for (size_t i = 0; i < n; ++i) bad |= (std::bit_cast<uint32_t>(p[i]) & 0x7f800000u) == 0x7f800000u;
  return bad == 0;
}

}  // namespace onednn_addon
