// Process-wide oneDNN engine and stream, and the thread policy.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

namespace onednn_addon {

dnnl::engine& CpuEngine();
dnnl::stream& CpuStream();

// Thread count chosen by the user (setThreads / GANTRY_THREADS).
int ConfiguredThreads();
void SetConfiguredThreads(int n);

// OpenMP's fork/join costs tens of microseconds per parallel region, more than
// small ops gain from a second core. Work below this many flops runs on one
// thread; bigger conv/GEMM calls use the configured count.
constexpr double kParallelFlopThreshold = 2.0e7;

// Applies the thread count for a call of the given size (omp_set_num_threads on
// the calling thread, which is the OpenMP initial thread) and returns it.
int UseThreadsFor(double flops);

}  // namespace onednn_addon
