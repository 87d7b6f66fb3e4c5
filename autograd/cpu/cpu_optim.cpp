// CPU kernels of the fused optimiser updates: one parallel pass over the parameters, their
// gradients and the optimiser state (the maths is over AdamStepParams in backend.h).
#include <algorithm>
#include <cmath>

#include "autograd/cpu/cpu_backend.h"
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
    // Scalars in double, as PyTorch computes them in Python, then used in T.
    const double bias1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
    const double bias2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
    const T step_size = static_cast<T>(p.lr / bias1);
    const T bias2_sqrt = static_cast<T>(std::sqrt(bias2));
    const T one_minus_beta1 = static_cast<T>(1.0 - p.beta1), beta2 = static_cast<T>(p.beta2);
    const T one_minus_beta2 = static_cast<T>(1.0 - p.beta2), eps = static_cast<T>(p.eps);
    const T decay = static_cast<T>(p.weight_decay);
    const T decoupled_scale = static_cast<T>(1.0 - p.lr * p.weight_decay);
    const bool l2 = p.weight_decay != 0.0 && !p.decoupled_weight_decay;
    const bool decoupled = p.weight_decay != 0.0 && p.decoupled_weight_decay;
    parallel_for(0, param.numel(), kGrainSize / 4, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) {
        T gi = p.maximize ? -g[i] : g[i];
        if (l2) gi += decay * w[i];
        if (decoupled) w[i] *= decoupled_scale;
        m[i] += one_minus_beta1 * (gi - m[i]);
        v[i] = beta2 * v[i] + one_minus_beta2 * gi * gi;
        T second = v[i];
        if (vmax) second = vmax[i] = std::max(vmax[i], v[i]);
        w[i] -= step_size * m[i] / (std::sqrt(second) / bias2_sqrt + eps);
      }
    });
  });
}

}  // namespace aime::cpu
