#include "autograd/weight_pack.h"

#include <unordered_map>

namespace aime {

namespace {
// A weight seen in this scope: packed from its second use on (a tensor used once, such as a
// temporary, is never packed or kept alive). The weak reference tells a live weight from a
// new tensor at a freed one's address.
struct Seen {
  std::weak_ptr<TensorImpl> impl;
  std::shared_ptr<WeightPack> pack;
};
using SeenWeights = std::unordered_map<const TensorImpl*, Seen>;
// This thread's scopes: their depth and the weights seen inside them.
thread_local int scope_depth = 0;
thread_local SeenWeights* seen = nullptr;
}  // namespace

WeightPackScope::WeightPackScope() {
  if (scope_depth++ == 0) seen = new SeenWeights;
}

WeightPackScope::~WeightPackScope() {
  if (--scope_depth == 0) {
    delete seen;
    seen = nullptr;
  }
}

bool weight_pack_scope_open() { return scope_depth > 0; }

std::shared_ptr<WeightPack> weight_pack(const Tensor& weight) {
  if (scope_depth == 0 || weight.grad_fn()) return nullptr;
  Seen& s = (*seen)[weight.impl_ptr().get()];
  if (s.impl.expired()) {  // first use (or a new tensor where a freed one was)
    s.impl = weight.impl_ptr();
    s.pack = nullptr;
    return nullptr;
  }
  if (!s.pack) s.pack = std::make_shared<WeightPack>(weight);
  return s.pack;
}

const Backend::PackedWeight* WeightPack::forward() {
  std::call_once(forward_once_, [&] { forward_ = backend_for(weight_.device()).pack_weight(weight_, true); });
  return forward_.get();
}

const Backend::PackedWeight* WeightPack::input_gradient() {
  std::call_once(input_gradient_once_,
                 [&] { input_gradient_ = backend_for(weight_.device()).pack_weight(weight_, false); });
  return input_gradient_.get();
}

}  // namespace aime
