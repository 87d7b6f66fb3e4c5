// Gradient clipping by the global norm (torch.nn.utils.clip_grad_norm_): with
// n = || (g_1, ..., g_k) || over all gradients together (p-norm, 2 by default, or the
// max-norm for norm_type = inf), every gradient is scaled by min(1, max_norm / (n + 1e-6)).
// Returns n, before clipping, as a 0-d tensor on the gradients' device (no host sync: call
// .item() to log it). Packed parameters (nn/flat_parameters.h) take one pass for the norm
// and one for the scaling.
#pragma once
#include <vector>

#include "autograd/tensor.h"

namespace aime::nn {

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

// The same norm without clipping.
Tensor grad_norm(const std::vector<Tensor>& params, double norm_type = 2.0);

}  // namespace aime::nn
