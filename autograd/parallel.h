// Parallel loops for CPU kernels (OpenMP behind a plain function, so callers need no
// pragmas). Small ranges run inline on the calling thread: below `grain` items a loop is
// not worth waking a second thread for.
#pragma once
#include <cstdint>
#include <functional>

namespace aime {

// Elementwise work below this many elements runs on one thread (PyTorch uses the same).
constexpr std::int64_t kGrainSize = 32768;

int num_threads();              // threads a parallel loop may use
void set_num_threads(int n);    // n >= 1

// Calls fn(lo, hi) on disjoint chunks covering [begin, end), in parallel when the range
// holds more than `grain` items and more than one thread is allowed. Chunks hold at least
// `grain` items. Exceptions thrown by fn are rethrown on the calling thread.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn);

// Calls fn(t, lo, hi) once per thread t of a team of at most `threads`, with [lo, hi) the t-th
// of its contiguous chunks of [0, n) (possibly empty); with threads <= 1, or inside a parallel
// region, fn(0, 0, n) inline. For per-thread accumulators summed afterwards in thread order,
// which gives the same result for the same thread count. Exceptions as parallel_for.
void parallel_for_each_thread(std::int64_t n, int threads,
                              const std::function<void(int, std::int64_t, std::int64_t)>& fn);

}  // namespace aime
