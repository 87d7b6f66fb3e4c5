// CUDA kernel of the fused Adam update: one pass over parameters, gradients and state, the
// same element rule as the CPU (autograd/ops/adam_math.h).
#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"
#include "autograd/ops/adam_math.h"

namespace aime::cuda {

namespace {
template <class T>
__global__ void adam_kernel(math::AdamScalars<T> s, T* w, const T* g, T* m, T* v, T* vmax, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) math::adam_update(s, w[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
}
}  // namespace

void CudaBackend::adam_step(const AdamStepParams& p, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                            const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq) {
  const std::int64_t n = param.numel();
  if (n == 0) return;
  Context& ctx = context(param);
  AIME_DISPATCH_FLOATING(param.dtype(), "adam_step", [&] {
    using T = scalar_t;
    T* vmax = p.amsgrad ? static_cast<T*>(max_exp_avg_sq.data_ptr()) : nullptr;
    adam_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        math::adam_scalars<T>(p), static_cast<T*>(param.data_ptr()), static_cast<const T*>(grad.data_ptr()),
        static_cast<T*>(exp_avg.data_ptr()), static_cast<T*>(exp_avg_sq.data_ptr()), vmax, n);
  });
  AIME_CUDA_CHECK_LAUNCH("adam_step");
}

}  // namespace aime::cuda
