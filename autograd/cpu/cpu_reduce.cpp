// CPU row reductions: x [R, K] -> out [R]. Sums accumulate in double. Work is split across
// rows, or across a row's columns when there are too few rows to keep the threads busy;
// partial results combine in thread order, so a run is bit-reproducible for a fixed
// thread count.
#include <omp.h>

#include <limits>
#include <vector>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/parallel.h"

namespace aime::cpu {

namespace {
struct Partial {
  double value;
  std::int64_t index;
};

// sum p[lo, hi) in double, as eight interleaved partial sums (element k into sum k mod 8 of
// its block of eight) added pairwise at the end. One running sum is a chain of dependent
// adds, one element per add latency (3-4 cycles) and scalar; eight independent sums let GCC
// convert and add four or eight elements per instruction (benchmarks/README.md, lever 23).
template <class T>
double sum_span(const T* p, std::int64_t lo, std::int64_t hi) {
  double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  std::int64_t k = lo;
  for (; k + 8 <= hi; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] += static_cast<double>(p[k + j]);
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; k < hi; ++k) s += static_cast<double>(p[k]);
  return s;
}

template <class T>
Partial reduce_span(ReduceOp op, const T* p, std::int64_t lo, std::int64_t hi) {
  if (op == ReduceOp::Sum) return {sum_span(p, lo, hi), lo};
  Partial best{-std::numeric_limits<double>::infinity(), lo};
  for (std::int64_t k = lo; k < hi; ++k) {
    const double v = static_cast<double>(p[k]);
    if (v != v) return {v, k};  // NaN wins, as in torch.max
    if (v > best.value) best = {v, k};
  }
  return best;
}

Partial combine(ReduceOp op, const Partial& a, const Partial& b) {
  if (op == ReduceOp::Sum) return {a.value + b.value, 0};
  if (a.value != a.value) return a;
  if (b.value != b.value || b.value > a.value) return b;
  return a;  // ties: the earlier (lower) index
}


// Pragmas cannot sit inside a macro argument, so the dtype-generic body is a template.
template <class T>
void reduce_rows_impl(ReduceOp op, const T* px, T* po, std::int64_t* pi, std::int64_t rows, std::int64_t cols) {
  auto store = [&](std::int64_t r, const Partial& p) {
    po[r] = static_cast<T>(p.value);
    if (pi) pi[r] = p.index;
  };
  const int threads = num_threads();
  if (rows >= threads || cols < 2 * kGrainSize || threads == 1) {
    parallel_for(0, rows, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(cols, 1)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t r = lo; r < hi; ++r) store(r, reduce_span(op, px + r * cols, 0, cols));
                 });
    return;
  }
  // Few long rows: split each row's columns over the threads.
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<Partial> partial(threads, Partial{0.0, -1});
    const T* row = px + r * cols;
#pragma omp parallel num_threads(threads)
    {
      const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const std::int64_t chunk = (cols + nt - 1) / nt;
      const std::int64_t lo = std::min(cols, t * chunk), hi = std::min(cols, lo + chunk);
      if (lo < hi) partial[t] = reduce_span(op, row, lo, hi);
    }
    Partial acc = partial[0];
    for (int t = 1; t < threads; ++t)
      if (partial[t].index >= 0) acc = combine(op, acc, partial[t]);
    store(r, acc);
  }
}
}  // namespace

void CpuBackend::reduce_rows(ReduceOp op, const Tensor& x, const Tensor& out, const Tensor& indices) {
  const std::int64_t rows = out.numel();
  const std::int64_t cols = rows == 0 ? 0 : x.numel() / rows;
  std::int64_t* pi = indices.defined() ? indices.data<std::int64_t>() : nullptr;
  AIME_DISPATCH_ALL(x.dtype(), "reduce", [&] {
    reduce_rows_impl(op, static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(out.data_ptr()), pi, rows,
                     cols);
  });
}

}  // namespace aime::cpu
