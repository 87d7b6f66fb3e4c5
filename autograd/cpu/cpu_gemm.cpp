// CPU GEMM through Eigen (which parallelises a large product itself with OpenMP) or, where
// the build has one and it is chosen (autograd/cpu_gemm_choice.h), an optimised BLAS through
// CBLAS. Small matrices in a batch run one per thread instead.
//
// Row-major C[m, n] = op(A) op(B) + beta C with op(A) [m, k] and op(B) [k, n]. A is stored
// [k, m] when transposed (ta), else [m, k]; B is stored [n, k] when transposed (tb), else
// [k, n]. The backward of a linear layer y = x W^T uses all three forms:
//   forward  y  = x W^T      (ta = 0, tb = 1)
//   dx = dy W                (ta = 0, tb = 0)
//   dW = dy^T x              (ta = 1, tb = 0)
#include "autograd/cpu/eigen_core.h"

#include <omp.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <mutex>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/cpu_gemm_choice.h"
#include "autograd/error.h"
#include "autograd/parallel.h"

#ifdef AIME_HAVE_CBLAS
#include <cblas.h>
// Present in OpenBLAS only; a weak reference stays null with any other CBLAS.
extern "C" char* openblas_get_config() __attribute__((weak));
extern "C" char* openblas_get_corename() __attribute__((weak));
extern "C" int openblas_get_parallel() __attribute__((weak));
#endif

#ifndef AIME_CPU_GEMM_DEFAULT
#define AIME_CPU_GEMM_DEFAULT "auto"
#endif

namespace aime {

namespace {
// The choice, made once at start-up (environment, then the build's default), or later by
// set_cpu_gemm. Read on every product: a relaxed load of a plain flag set before any work.
std::atomic<bool> use_blas{false};
std::atomic<std::int64_t> multiply_adds{0};
std::once_flag chosen;

bool blas_built() {
#ifdef AIME_HAVE_CBLAS
  return true;
#else
  return false;
#endif
}

// "auto": the CBLAS where the build has one, unless it is an OpenBLAS that runs kernels older
// than AVX2. OpenBLAS 0.3.21 picks its kernels from the CPU's model number and falls back to
// its SSE3 ones ("Prescott") on a CPU it does not know: 39-61 GFLOP/s where Eigen reached
// 170-235 on such a host. With AVX2 or AVX-512 kernels it was level with Eigen on an Intel
// Xeon and ahead of it on an AMD EPYC (benchmarks/README.md, `gemm_bench`, lever 25).
bool auto_picks_blas() {
#ifdef AIME_HAVE_CBLAS
  if (!openblas_get_corename) return true;  // BLIS, MKL: no such fallback to check
  return openblas_core_has_avx2(openblas_get_corename());
#else
  return false;
#endif
}

void choose(const std::string& name, const char* where) {
  if (name == "auto") {
    use_blas.store(auto_picks_blas(), std::memory_order_relaxed);
  } else if (name == "eigen") {
    use_blas.store(false, std::memory_order_relaxed);
  } else if (name == "blas" && blas_built()) {
    use_blas.store(true, std::memory_order_relaxed);
  } else {
    std::string have;
    for (const auto& n : available_cpu_gemms()) have += (have.empty() ? "" : ", ") + n;
    have += " or auto";
    throw ValueError(std::string(where) + ": expected one of " + have + ", found '" + name + "'" +
                     (name == "blas" ? " (this build has no CBLAS: configure with -DAIME_BLAS=ON and a BLAS installed, "
                                       "e.g. Debian's libopenblas-openmp-dev)"
                                     : ""));
  }
}

void choose_at_start() {
  std::call_once(chosen, [] {
    const char* env = std::getenv("AIME_CPU_GEMM");
    if (env && *env) choose(env, "environment variable AIME_CPU_GEMM");
    else choose(AIME_CPU_GEMM_DEFAULT, "CMake's AIME_CPU_GEMM_DEFAULT");
  });
}
}  // namespace

std::int64_t cpu_gemm_multiply_adds() { return multiply_adds.load(std::memory_order_relaxed); }

namespace cpu {
void count_multiply_adds(std::int64_t count) { multiply_adds.fetch_add(count, std::memory_order_relaxed); }
}  // namespace cpu

bool openblas_core_has_avx2(const std::string& core) {
  // OpenBLAS's names for its x86-64 kernel sets with AVX2 or AVX-512 (driver/others/dynamic.c);
  // everything else (Prescott, Core2, Nehalem, Sandybridge, Barcelona, ...) has less.
  std::string lower;
  for (char ch : core) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  for (const char* name : {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"})
    if (lower == name) return true;
  return false;
}

std::vector<std::string> available_cpu_gemms() {
  if (blas_built()) return {"eigen", "blas"};
  return {"eigen"};
}

void set_cpu_gemm(const std::string& name) {
  choose_at_start();
  choose(name, "set_cpu_gemm");
}

bool cpu_gemm_is_blas() {
  choose_at_start();
  return use_blas.load(std::memory_order_relaxed);
}

std::string cpu_gemm_name() {
  if (!cpu_gemm_is_blas()) return "eigen";
#ifdef AIME_HAVE_CBLAS
  if (openblas_get_config) {
    std::string name = std::string("blas (") + openblas_get_config();
    if (openblas_get_parallel) {
      const int p = openblas_get_parallel();
      name += p == 2 ? ", openmp" : p == 1 ? ", pthreads" : ", sequential";
    }
    return name + ")";
  }
#endif
  return "blas";
}

namespace cpu {

namespace {
template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C = op(A) op(B) + beta C for one matrix of the batch, through Eigen.
template <class T>
void gemm_eigen(bool ta, bool tb, const T* a, const T* b, T* c, std::int64_t m, std::int64_t n, std::int64_t k,
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

#ifdef AIME_HAVE_CBLAS
// The same through CBLAS (row-major; leading dimensions are the stored rows' lengths). With
// beta = 0 BLAS does not read C, as Eigen's `=` does not.
void gemm_blas(bool ta, bool tb, const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
               std::int64_t k, double beta) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(ta ? m : k), b,
              static_cast<int>(tb ? k : n), static_cast<float>(beta), c, static_cast<int>(n));
}
void gemm_blas(bool ta, bool tb, const double* a, const double* b, double* c, std::int64_t m, std::int64_t n,
               std::int64_t k, double beta) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0, a, static_cast<int>(ta ? m : k), b,
              static_cast<int>(tb ? k : n), beta, c, static_cast<int>(n));
}
#endif

template <class T>
void gemm_one(bool blas, bool ta, bool tb, const T* a, const T* b, T* c, std::int64_t m, std::int64_t n,
              std::int64_t k, double beta) {
#ifdef AIME_HAVE_CBLAS
  // CBLAS takes int sizes; a product past INT_MAX rows or columns goes through Eigen.
  if (blas && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX) return gemm_blas(ta, tb, a, b, c, m, n, k, beta);
#else
  (void)blas;
#endif
  gemm_eigen(ta, tb, a, b, c, m, n, k, beta);
}
}  // namespace

void gemm_matrix(bool ta, bool tb, const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                 std::int64_t k, double beta) {
  multiply_adds.fetch_add(m * n * k, std::memory_order_relaxed);
  gemm_one(cpu_gemm_is_blas(), ta, tb, a, b, c, m, n, k, beta);
}
void gemm_matrix(bool ta, bool tb, const double* a, const double* b, double* c, std::int64_t m, std::int64_t n,
                 std::int64_t k, double beta) {
  multiply_adds.fetch_add(m * n * k, std::memory_order_relaxed);
  gemm_one(cpu_gemm_is_blas(), ta, tb, a, b, c, m, n, k, beta);
}

void CpuBackend::gemm(bool ta, bool tb, const Tensor& a, const Tensor& b, const Tensor& c, double beta) {
  const std::int64_t batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2];
  const std::int64_t k = ta ? a.shape()[1] : a.shape()[2];
  const std::int64_t stride_a = a.shape()[0] == 1 ? 0 : a.shape()[1] * a.shape()[2];
  const std::int64_t stride_b = b.shape()[0] == 1 ? 0 : b.shape()[1] * b.shape()[2];
  const bool blas = cpu_gemm_is_blas();
  multiply_adds.fetch_add(batch * m * n * k, std::memory_order_relaxed);
  AIME_DISPATCH_FLOATING(c.dtype(), "gemm", [&] {
    const scalar_t* pa = static_cast<const scalar_t*>(a.data_ptr());
    const scalar_t* pb = static_cast<const scalar_t*>(b.data_ptr());
    scalar_t* pc = static_cast<scalar_t*>(c.data_ptr());
    auto one = [&](std::int64_t i) {
      gemm_one<scalar_t>(blas, ta, tb, pa + i * stride_a, pb + i * stride_b, pc + i * m * n, m, n, k, beta);
    };
    // A product this small gains nothing from threads inside it: spread the batch instead
    // (a BLAS called inside the parallel region runs single-threaded, as Eigen does).
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
      // thread-count ICV is per thread, so lowering it here leaves other callers alone; an
      // OpenMP build of OpenBLAS reads the same ICV on every call.
      const int threads = omp_get_max_threads();
      const bool alone = flops < kMinThreadedGemm && threads > 1;
      if (alone) omp_set_num_threads(1);
      for (std::int64_t i = 0; i < batch; ++i) one(i);
      if (alone) omp_set_num_threads(threads);
    }
  });
}

}  // namespace cpu
}  // namespace aime
