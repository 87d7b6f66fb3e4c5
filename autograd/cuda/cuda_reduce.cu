// CUDA row reductions: x [R, K] -> out [R], one block per row. Sums accumulate in double
// (as on the CPU) and combine in a fixed tree order, so a result is reproducible run to
// run. Max keeps the first maximum's index and lets NaN win, as torch.max does.
//
//   thread t of a row's block folds columns t, t + B, t + 2B, ... ; then a shared-memory
//   tree halves the B partial results until one is left.
#include <cmath>

#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"

namespace aime::cuda {

namespace {

struct Partial {
  double value;
  std::int64_t index;
};

// The better of two partials of a max: NaN first, then the larger, ties to the lower index.
__device__ Partial max_combine(Partial a, Partial b) {
  const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  if (a_nan || b_nan) {
    if (a_nan && b_nan) return a.index <= b.index ? a : b;
    return a_nan ? a : b;
  }
  if (b.value > a.value || (b.value == a.value && b.index < a.index)) return b;
  return a;
}

template <class T, bool IsMax>
__global__ void reduce_rows_kernel(const T* x, T* out, std::int64_t* indices, std::int64_t rows, std::int64_t cols) {
  __shared__ Partial shared[kThreads];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * cols;
    Partial acc{IsMax ? -INFINITY : 0.0, cols};
    for (std::int64_t k = threadIdx.x; k < cols; k += blockDim.x) {
      const double v = static_cast<double>(row[k]);
      if (IsMax)
        acc = max_combine(acc, Partial{v, k});
      else
        acc.value += v;
    }
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const Partial other = shared[threadIdx.x + half];
        if (IsMax)
          shared[threadIdx.x] = max_combine(shared[threadIdx.x], other);
        else
          shared[threadIdx.x].value += other.value;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      out[r] = static_cast<T>(shared[0].value);
      // A row of -inf only: the CPU reports index 0.
      if (indices) indices[r] = shared[0].index == cols ? 0 : shared[0].index;
    }
    __syncthreads();
  }
}

}  // namespace

void CudaBackend::reduce_rows(ReduceOp op, const Tensor& x, const Tensor& out, const Tensor& indices) {
  const std::int64_t rows = out.numel();
  if (rows == 0) return;
  const std::int64_t cols = x.numel() / rows;
  Context& ctx = context(out);
  std::int64_t* pi = indices.defined() ? static_cast<std::int64_t*>(indices.data_ptr()) : nullptr;
  // Block size: a power of two (the tree needs it), no more threads than columns need.
  unsigned int threads = 32;
  while (threads < kThreads && threads < cols) threads *= 2;
  const unsigned int blocks = static_cast<unsigned int>(std::min<std::int64_t>(rows, 65535LL * 16));
  AIME_DISPATCH_ALL(x.dtype(), "reduce", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.data_ptr());
    scalar_t* po = static_cast<scalar_t*>(out.data_ptr());
    if (op == ReduceOp::Max)
      reduce_rows_kernel<scalar_t, true><<<blocks, threads, 0, ctx.stream>>>(px, po, pi, rows, cols);
    else
      reduce_rows_kernel<scalar_t, false><<<blocks, threads, 0, ctx.stream>>>(px, po, pi, rows, cols);
  });
  AIME_CUDA_CHECK_LAUNCH("reduce");
}

}  // namespace aime::cuda
