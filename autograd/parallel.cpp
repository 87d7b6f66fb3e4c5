#include "autograd/parallel.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

namespace aime {

int num_threads() { return omp_get_max_threads(); }
void set_num_threads(int n) { omp_set_num_threads(std::max(1, n)); }

void parallel_for_each_thread(std::int64_t n, int threads,
                              const std::function<void(int, std::int64_t, std::int64_t)>& fn) {
  // Nested calls (a kernel inside a parallel region) run inline.
  if (threads <= 1 || omp_in_parallel()) {
    fn(0, 0, n);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t chunk = (n + nt - 1) / nt;
    const std::int64_t lo = std::min(n, t * chunk), hi = std::min(n, lo + chunk);
    try {
      fn(static_cast<int>(t), lo, hi);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  const std::int64_t max_chunks = (n + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), max_chunks));
  parallel_for_each_thread(n, threads, [&](int, std::int64_t lo, std::int64_t hi) {
    if (lo < hi) fn(begin + lo, begin + hi);
  });
}

}  // namespace aime
