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
// The default is measured on dcgan-mnist (batch 64, 2 cores): its 26 MFLOP convs
// and 80 MFLOP dense layers ran slower on two threads than on one, its 411 MFLOP
// convs 1.4x faster. GANTRY_PARALLEL_MIN_MFLOPS overrides it.
double ParallelFlopThreshold();

// Applies the thread count for a call of the given size (omp_set_num_threads on
// the calling thread, which is the OpenMP initial thread) and returns it.
int UseThreadsFor(double flops);

// Sets the thread count for the next oneDNN calls (small helper work such as
// weight reorders runs with 1).
void UseThreads(int n);

}  // namespace onednn_addon
