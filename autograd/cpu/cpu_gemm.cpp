// CPU GEMM through Eigen (which parallelises a large product itself with OpenMP). Small
// matrices in a batch run one per thread instead.
#include "autograd/cpu/eigen_core.h"

#include <omp.h>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/parallel.h"

namespace aime::cpu {

namespace {
// Multiply-adds below which one product runs on the calling thread alone (measured in
// benchmarks/README.md, "OpenMP threshold for GEMM").
constexpr std::int64_t kMinThreadedGemm = std::int64_t{1} << 21;

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C = op(A) op(B) + beta C for one matrix of the batch.
template <class T>
void gemm_one(bool ta, bool tb, const T* a, const T* b, T* c, std::int64_t m, std::int64_t n, std::int64_t k,
              double beta) {
  Eigen::Map<const RowMajor<T>> A(a, ta ? k : m, ta ? m : k);
  Eigen::Map<const RowMajor<T>> B(b, tb ? n : k, tb ? k : n);
  Eigen::Map<RowMajor<T>> C(c, m, n);
  auto run = [&](const auto& opA, const auto& opB) {
    if (beta == 0.0) {
      C.noalias() = opA * opB;
    } else {
      if (beta != 1.0) C *= static_cast<T>(beta);
      C.noalias() += opA * opB;
    }
  };
  if (ta && tb) run(A.transpose(), B.transpose());
  else if (ta) run(A.transpose(), B);
  else if (tb) run(A, B.transpose());
  else run(A, B);
}
}  // namespace

void CpuBackend::gemm(bool ta, bool tb, const Tensor& a, const Tensor& b, const Tensor& c, double beta) {
  const std::int64_t batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2];
  const std::int64_t k = ta ? a.shape()[1] : a.shape()[2];
  const std::int64_t stride_a = a.shape()[0] == 1 ? 0 : a.shape()[1] * a.shape()[2];
  const std::int64_t stride_b = b.shape()[0] == 1 ? 0 : b.shape()[1] * b.shape()[2];
  AIME_DISPATCH_FLOATING(c.dtype(), "gemm", [&] {
    const scalar_t* pa = static_cast<const scalar_t*>(a.data_ptr());
    const scalar_t* pb = static_cast<const scalar_t*>(b.data_ptr());
    scalar_t* pc = static_cast<scalar_t*>(c.data_ptr());
    auto one = [&](std::int64_t i) {
      gemm_one<scalar_t>(ta, tb, pa + i * stride_a, pb + i * stride_b, pc + i * m * n, m, n, k, beta);
    };
    // A product this small gains nothing from Eigen's threads: spread the batch instead.
    const std::int64_t flops = m * n * k;
    if (batch > 1 && flops < 64 * 64 * 64) {
      parallel_for(0, batch, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(flops, 1)),
                   [&](std::int64_t lo, std::int64_t hi) {
                     for (std::int64_t i = lo; i < hi; ++i) one(i);
                   });
    } else {
      // Eigen threads any product above ~1e5 multiply-adds; below kMinThreadedGemm the
      // fork, join and wake-up of the second thread cost more than the halved work (a
      // recurrent step of 32 x 64 x 192 ran 1.7x slower on 2 threads than on 1). The
      // thread-count ICV is per thread, so lowering it here leaves other callers alone.
      const int threads = omp_get_max_threads();
      const bool alone = flops < kMinThreadedGemm && threads > 1;
      if (alone) omp_set_num_threads(1);
      for (std::int64_t i = 0; i < batch; ++i) one(i);
      if (alone) omp_set_num_threads(threads);
    }
  });
}

}  // namespace aime::cpu
