// Weights packed once per sequence for the products of a recurrence's steps.
//
// A recurrence multiplies each of its weights by B rows at every one of T steps, and a GEMM
// library rearranges ("packs") the whole weight on every call: for the GRU's 1536 x 512 weight
// and B = 50 rows, those products ran at half the large products' rate on a Zen 3 core
// (benchmarks/README.md, lever 29: the steps 4-12% faster with the packing kept).
// Inside a WeightPackScope, linear() has the backend pack each constant weight (one without a
// grad_fn: a parameter, or a frozen model's weight) the second time it multiplies at most
// kPackMaxRows rows, and reuses that packing for the rest of the scope (a tensor used once is
// neither packed nor kept); the backward of those products packs the weight's other
// orientation once, on first use, and shares it.
//
// The contract: no weight is written while a scope is open on its thread (an optimiser step
// belongs outside it). The models open one around their loops over time
// (models/state_space_model.cpp). Scopes nest; the outermost one's end drops the packings
// (backward closures keep the ones they use). Backends without a packed kernel (CUDA), float64
// and wider products run as before.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>

#include "autograd/backend.h"
#include "autograd/tensor.h"

namespace aime {

// Rows up to which linear() uses a packing: a recurrence's per-step batch.
constexpr std::int64_t kPackMaxRows = 256;

class WeightPackScope {
 public:
  WeightPackScope();
  ~WeightPackScope();
  WeightPackScope(const WeightPackScope&) = delete;
  WeightPackScope& operator=(const WeightPackScope&) = delete;
};

// Whether a WeightPackScope is open on this thread.
bool weight_pack_scope_open();

// One weight's packings within a scope, each made on first use. Null results: the backend
// packs nothing for this weight.
class WeightPack {
 public:
  explicit WeightPack(Tensor weight) : weight_(std::move(weight)) {}
  const Backend::PackedWeight* forward();         // op(W) = W^T: y = x W^T
  const Backend::PackedWeight* input_gradient();  // op(W) = W:   dx = dy W

 private:
  Tensor weight_;
  std::once_flag forward_once_, input_gradient_once_;
  std::shared_ptr<const Backend::PackedWeight> forward_, input_gradient_;
};

// The pack of `weight` in this thread's open scope, from its second request on; null before,
// outside a scope, or when the weight has a grad_fn.
std::shared_ptr<WeightPack> weight_pack(const Tensor& weight);

}  // namespace aime
