// TanhGaussianPolicy (the original's aime/models/policy.py): two separate ELU MLPs on the
// input, one for the mean and one for the std (softplus output + 1e-6); the action
// distribution is TanhNormal(mean, std), its mode tanh(mean). Used as the phase-2 policy
// and as the world model's inverse-dynamics head (IDM).
#pragma once
#include <memory>

#include "autograd/generator.h"
#include "distributions/tanh_normal.h"
#include "nn/mlp.h"

namespace aime::models {

class TanhGaussianPolicy : public nn::Module {
 public:
  TanhGaussianPolicy(std::int64_t input_size, std::int64_t action_size, std::int64_t hidden_size = 128,
                     std::int64_t hidden_layers = 2, Generator& gen = default_generator());
  // Over [..., input] -> TanhNormal over [..., action].
  std::shared_ptr<distributions::TanhNormal> forward(const Tensor& input);
  std::shared_ptr<nn::MLP> mean_net, std_net;
};

}  // namespace aime::models
