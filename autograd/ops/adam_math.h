// The maths of one Adam element update (see AdamStepParams in backend.h), written once and
// shared by the CPU loop and the CUDA kernel, so both backends apply the same rule in the
// same order of operations.
#pragma once
#include <cmath>

#include "autograd/backend.h"
#include "autograd/ops/elementwise_math.h"  // AIME_HD

namespace aime::math {

// The per-step scalars, computed once on the host in double (as PyTorch computes them in
// Python) and then used in T.
template <class T>
struct AdamScalars {
  T step_size, bias2_sqrt, one_minus_beta1, beta2, one_minus_beta2, eps, decay, decoupled_scale;
  bool l2, decoupled, maximize;
};

template <class T>
AdamScalars<T> adam_scalars(const AdamStepParams& p) {
  const double bias1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  const double bias2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
  AdamScalars<T> s;
  s.step_size = static_cast<T>(p.lr / bias1);
  s.bias2_sqrt = static_cast<T>(std::sqrt(bias2));
  s.one_minus_beta1 = static_cast<T>(1.0 - p.beta1);
  s.beta2 = static_cast<T>(p.beta2);
  s.one_minus_beta2 = static_cast<T>(1.0 - p.beta2);
  s.eps = static_cast<T>(p.eps);
  s.decay = static_cast<T>(p.weight_decay);
  s.decoupled_scale = static_cast<T>(1.0 - p.lr * p.weight_decay);
  s.l2 = p.weight_decay != 0.0 && !p.decoupled_weight_decay;
  s.decoupled = p.weight_decay != 0.0 && p.decoupled_weight_decay;
  s.maximize = p.maximize;
  return s;
}

// One element: w (param), g (grad), m, v (moments), vmax (amsgrad state, or nullptr).
//   g' = -g if maximize;  g' += decay w (Adam L2);  w *= 1 - lr decay (AdamW)
//   m += (1 - b1)(g' - m);  v = b2 v + (1 - b2) g'^2;  vmax = max(vmax, v)
//   w -= lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps)
template <class T>
AIME_HD void adam_update(const AdamScalars<T>& s, T& w, T g, T& m, T& v, T* vmax) {
  if (s.maximize) g = -g;
  if (s.l2) g += s.decay * w;
  if (s.decoupled) w *= s.decoupled_scale;
  m += s.one_minus_beta1 * (g - m);
  v = s.beta2 * v + s.one_minus_beta2 * g * g;
  T second = v;
  if (vmax) second = *vmax = (*vmax > v ? *vmax : v);
  w -= s.step_size * m / (std::sqrt(second) / s.bias2_sqrt + s.eps);
}

}  // namespace aime::math
