// CPU kernels of the fused optimiser updates: one parallel pass over the parameters, their
// gradients and the optimiser state (the maths is in autograd/ops/adam_math.h).
#include "autograd/cpu/cpu_backend.h"
#include "autograd/ops/adam_math.h"
#include "autograd/parallel.h"

namespace aime::cpu {

void CpuBackend::adam_step(const AdamStepParams& p, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                           const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq) {
  AIME_DISPATCH_FLOATING(param.dtype(), "adam_step", [&] {
    using T = scalar_t;
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* m = exp_avg.data<T>();
    T* v = exp_avg_sq.data<T>();
    T* vmax = p.amsgrad ? max_exp_avg_sq.data<T>() : nullptr;
    const math::AdamScalars<T> s = math::adam_scalars<T>(p);
    parallel_for(0, param.numel(), kGrainSize / 4, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) math::adam_update(s, w[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
    });
  });
}

}  // namespace aime::cpu
