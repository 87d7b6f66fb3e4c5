#include "algorithms/training_step.h"

#include <cmath>

#include "autograd/error.h"
#include "nn/optim/clip_grad.h"

namespace aime::algorithms {

// A fixed odd constant (java.util.Random's multiplier) keeps the noise stream apart from
// the batch stream, which is seeded with `seed` itself.
Generator training_noise(std::uint64_t seed) { return Generator(seed ^ 0x5DEECE66Dull); }

TrainingStep::TrainingStep(std::vector<OptimizerGroup> groups) : groups_(std::move(groups)) {
  if (groups_.empty()) throw ValueError("TrainingStep: no optimiser group");
  for (const auto& g : groups_) {
    if (g.parameters.empty()) throw ValueError("TrainingStep: group '" + g.name + "' has no parameters");
    optimizers_.push_back(std::make_unique<nn::Adam>(g.parameters, g.adam));
  }
}

TrainingStep::Result TrainingStep::run(const std::function<Tensor()>& forward) {
  for (auto& o : optimizers_) o->zero_grad();
  Result r;
  r.loss = forward();
  if (!r.loss.defined() || r.loss.numel() != 1) throw ValueError("TrainingStep: the loss must be a scalar");
  const double loss = r.loss.item();
  if (!std::isfinite(loss)) throw NonFiniteError("the loss is " + std::to_string(loss) + "; nothing was updated");
  r.loss.backward();
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const OptimizerGroup& g = groups_[i];
    if (hook_) hook_(g);
    r.grad_norms.push_back(g.grad_clip > 0 ? nn::clip_grad_norm_(g.parameters, g.grad_clip).item() : NAN);
    if (g.grad_clip > 0 && !std::isfinite(r.grad_norms.back()))
      throw NonFiniteError("the gradient norm of '" + g.name + "' is " + std::to_string(r.grad_norms.back()) +
                           "; nothing was updated");
  }
  for (auto& o : optimizers_) o->step();
  return r;
}

}  // namespace aime::algorithms
