// Flat parameter packing: every parameter of a module becomes a view of one contiguous
// buffer, and every gradient a view of a second one, so that an optimiser step, zeroing
// the gradients and the gradient norm are each a single pass over memory (one kernel on
// a GPU) instead of one per tensor. Layers keep working unchanged: their handles are
// rebound in place (Tensor::set_data), and backward() accumulates into the gradient views.
//
//   nn::FlatParameters flat = nn::flatten_parameters(model.parameters());
//   nn::Adam adam(model.parameters());        // finds the flat layout and uses it
//
// Moving the module afterwards (to(device), to(dtype)) undoes the packing; pack again.
#pragma once
#include <vector>

#include "autograd/tensor.h"

namespace aime::nn {

struct FlatParameters {
  Tensor data;  // [N], N = total number of parameter elements
  Tensor grad;  // [N]
  bool defined() const { return data.defined(); }
};

// Packs params (all of one floating dtype and one device; ValueError otherwise) in order,
// copying their values and any existing gradients (zeros elsewhere).
FlatParameters flatten_parameters(const std::vector<Tensor>& params);

// The flat views when params and their gradients tile two buffers in order (as
// flatten_parameters leaves them); undefined members otherwise (e.g. after a
// zero_grad(set_to_none) or a move).
FlatParameters find_flat_parameters(const std::vector<Tensor>& params);

}  // namespace aime::nn
