#include "nn/optim/clip_grad.h"

#include <cmath>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "nn/flat_parameters.h"

namespace aime::nn {

namespace {
// The gradients to measure: the flat one when packed, else each defined one.
std::vector<Tensor> gradients(const std::vector<Tensor>& params) {
  const FlatParameters flat = find_flat_parameters(params);
  if (flat.defined()) return {flat.grad};
  std::vector<Tensor> out;
  for (const auto& p : params)
    if (p.grad().defined()) out.push_back(p.grad());
  return out;
}

Tensor norm_of(const std::vector<Tensor>& grads, double norm_type) {
  if (grads.empty()) return scalar_tensor(0.0);
  if (!(norm_type > 0)) throw ValueError("grad_norm: norm_type must be positive or inf, got " + std::to_string(norm_type));
  Tensor total;
  for (const auto& g : grads) {
    const Tensor flat = g.contiguous().reshape({-1});
    Tensor part;
    if (std::isinf(norm_type))
      part = max(abs(flat));
    else if (norm_type == 2.0)  // g . g: one pass through the backend's GEMM, no temporary
      part = matmul(flat.view({1, flat.numel()}), flat.view({flat.numel(), 1})).reshape({});
    else
      part = sum(pow(abs(flat), norm_type));
    total = !total.defined() ? part : (std::isinf(norm_type) ? maximum(total, part) : total + part);
  }
  return std::isinf(norm_type) ? total : pow(total, 1.0 / norm_type);
}
}  // namespace

Tensor grad_norm(const std::vector<Tensor>& params, double norm_type) {
  NoGradGuard no_grad;
  return norm_of(gradients(params), norm_type);
}

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  NoGradGuard no_grad;
  const std::vector<Tensor> grads = gradients(params);
  const Tensor norm = norm_of(grads, norm_type);
  if (grads.empty()) return norm;
  // min(1, max_norm / (n + 1e-6)), computed on the device.
  const Tensor scale = clamp(max_norm / (norm + 1e-6), 0.0, 1.0);
  for (Tensor g : grads) g.mul_(scale);
  return norm;
}

}  // namespace aime::nn
