// The one gradient step every trainer runs (train_world_model, train_aime, fit_regression;
// Dreamer's model, actor and value next), as the original's scripts/train_*.py write it:
//   zero_grad  ->  loss = forward()  ->  loss.backward()
//     -> hook(group)            between backward and the update: where a data-parallel
//                               all-reduce of the gradients goes
//     -> clip_grad_norm_(group) torch.nn.utils.clip_grad_norm_, when the group clips
//     -> optimiser.step()
// for each optimiser group in order. Several groups (each its parameters, Adam settings and
// clip) share one step: their losses are summed into one scalar and one backward fills every
// gradient; a group sees only its own parameters' gradients, so detaching between the terms
// (as Dreamer detaches its imagined states from the model) keeps each loss to its group.
//
// And the one noise rule: the reparameterisation noise of a run seeded `seed` comes from
// training_noise(seed), a stream of its own (the batches use `seed` itself).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/generator.h"
#include "autograd/tensor.h"
#include "nn/optim/adam.h"

namespace aime::algorithms {

// A training step that met a NaN or an infinity; nothing was updated.
class NonFiniteError : public ValueError {
  using ValueError::ValueError;
};

// The generator of a run's sampling noise (rsample in the model and the policy).
Generator training_noise(std::uint64_t seed);

struct OptimizerGroup {
  std::string name;                // labels the group's grad norm in metrics
  std::vector<Tensor> parameters;  // leaves that collect gradients
  nn::AdamOptions adam;
  double grad_clip = 0.0;          // max global norm; <= 0: no clip (and no norm computed)
};

class TrainingStep {
 public:
  explicit TrainingStep(std::vector<OptimizerGroup> groups);

  // Called for each group after backward, before its clip and update.
  using GradientHook = std::function<void(const OptimizerGroup& group)>;
  void set_gradient_hook(GradientHook hook) { hook_ = std::move(hook); }

  struct Result {
    Tensor loss;                     // what forward returned (its graph freed by backward)
    std::vector<double> grad_norms;  // per group: the norm before clipping (NaN when it does not clip)
  };
  // One step: forward builds the scalar loss (and may keep what else it computed). A loss
  // that is not finite, or a clipped group whose gradient norm is not, throws
  // NonFiniteError before any parameter changes (every group's norm is checked before the
  // first update).
  Result run(const std::function<Tensor()>& forward);

  std::size_t num_groups() const { return groups_.size(); }
  const OptimizerGroup& group(std::size_t i) const { return groups_.at(i); }
  nn::Adam& optimizer(std::size_t i) { return *optimizers_.at(i); }

 private:
  std::vector<OptimizerGroup> groups_;
  std::vector<std::unique_ptr<nn::Adam>> optimizers_;
  GradientHook hook_;
};

}  // namespace aime::algorithms
