// Process-wide oneDNN engine and stream, and the thread policy.
#pragma once

#include <omp.h>
#include <signal.h>

#include <cstdint>

#include "oneapi/dnnl/dnnl.hpp"

namespace onednn_addon {

dnnl::engine& CpuEngine();
dnnl::stream& CpuStream();

// Blocks the asynchronous signals on the calling thread for its lifetime; they stay
// pending and are handled when it ends. Faults (SIGSEGV and kin) stay unblocked.
//
// Why: oneDNN's generated f32 gemm kernels (behind dnnl_sgemm and the gemm-based
// convolutions; AVX2 and AVX-512; oneDNN up to 3.11) point the stack register into a
// heap buffer while they run. A signal handled on a thread inside such a kernel writes
// its frame into the heap, and the process dies later in malloc or free. Node handles
// SIGINT, SIGTERM, SIGWINCH and the profiler's SIGPROF, so Ctrl-C during training could
// do it. Every call that may reach those kernels, and every OpenMP region the addon
// opens, holds the signals: OpenMP creates its worker threads inside such a region, and
// a new thread keeps its creator's blocked mask for life, so a signal sent to the process
// is always delivered on a thread that is not inside a kernel.
class SignalsHeld {
 public:
  SignalsHeld();
  ~SignalsHeld();
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

// Memory-bound loops (element-wise ops, reductions, batch norm, resampling, optimizer updates)
// are compiled twice, for AVX2 (x86-64-v3) and for any x86-64, and the dynamic loader calls the
// AVX2 one on CPUs that have it. The rest of the addon is built for any x86-64. binding.gyp turns
// floating-point contraction off, so both compute the same bits. (An AVX-512 version as well
// made the sums over a training step's tensors slower, 0.9 against 0.5 ms a step on
// dcgan-mnist, and nothing else faster inside a step.)
// An OpenMP region inside such a function would be compiled for any x86-64 only: the clones
// go on the functions that a region's threads call, never on one that opens a region.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GANTRY_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GANTRY_VECTOR_CLONES
#endif

// Whether n floats hold no NaN and no infinity (for kernels whose arithmetic would spread one
// further than TF.js's does: they check, and leave such inputs to an exact path).
bool AllFinite(const float* p, size_t n);

// Thread count chosen by the user (setThreads / GANTRY_THREADS).
int ConfiguredThreads();
void SetConfiguredThreads(int n);

// OpenMP's fork/join costs tens of microseconds per parallel region, more than
// small ops gain from a second core. Work below this many flops runs on one
// thread; bigger conv/GEMM calls use the configured count.
// The default is measured on dcgan-mnist (batch 64, 2 cores): its 26 MFLOP convs
// and 80 MFLOP dense layers ran slower on two threads than on one, its 411 MFLOP
// convs 1.4x faster. GANTRY_PARALLEL_MIN_MFLOPS overrides it.
double ParallelFlopThreshold();

// The thread count a convolution or matrix product of `flops` runs on (no side effect). The
// backend's few-channel kernels, which split images with one fork and join and no per-thread
// setup, go by a lower bound of their own (fewconv.cc, ImageSplitThreads).
int ThreadsForFlops(double flops);

// Applies the thread count for a call of the given size (omp_set_num_threads on
// the calling thread, which is the OpenMP initial thread) and returns it.
int UseThreadsForFlops(double flops);

// Sets the thread count for the next oneDNN calls (small helper work such as
// weight reorders runs with 1).
void UseThreads(int n);

// Memory-bound loops (elementwise ops, reductions, batch norm, resampling) of at least
// 1M floats run on the configured threads; smaller ones on one, where waking the sleeping
// OpenMP thread (about 0.1 ms on a 2-core VM) costs more than the second core saves.
// GANTRY_PARALLEL_MIN_ELEMENTS sets another bound. (Until per-thread sums were kept a cache
// line apart, see PaddedStride, batch norm and sums ran slower on two threads than on one,
// and these loops stayed on one thread below 4 threads.)
int64_t ParallelElementThreshold();
int ThreadsForElements(int64_t n);

// The distance, in elements of T, between per-thread partial results that each thread updates
// again and again (per-channel sums over its rows): a multiple of a 64-byte cache line with one
// line to spare, so that no two threads' slots share a line. Slots packed tightly put the end
// of one thread's sums and the start of the next's on one line, and the two cores then handed
// that line back and forth on every row: the sums ran slower on two threads than on one.
template <typename T>
constexpr int64_t PaddedStride(int64_t n) {
  constexpr int64_t line = static_cast<int64_t>(64 / sizeof(T));
  return (n + line - 1) / line * line + line;
}

// Calls body(begin, end, part) for `parts` equal contiguous ranges of [0, n), on up to
// `parts` threads. The ranges depend only on n and parts, never on how many threads the
// OpenMP runtime hands out, so per-range partial results combined in range order give the
// same bits on every run with the same thread count.
template <typename Body>
void ParallelRanges(int64_t n, int parts, Body body) {
  if (parts <= 1 || n < 2) {
    body(int64_t{0}, n, 0);
    return;
  }
  SignalsHeld held;
#pragma omp parallel num_threads(parts)
  {
    int team = omp_get_num_threads();
    for (int part = omp_get_thread_num(); part < parts; part += team) {
      body(n * part / parts, n * (part + 1) / parts, part);
    }
  }
}

}  // namespace onednn_addon
