#include "models/tanh_gaussian_policy.h"

#include "distributions/std_param.h"

namespace aime::models {

TanhGaussianPolicy::TanhGaussianPolicy(std::int64_t in, std::int64_t a, std::int64_t hidden, std::int64_t layers,
                                       Generator& gen)
    : Module("TanhGaussianPolicy") {
  const nn::MLPOptions o = nn::mlp_options(in, a, hidden, layers);
  mean_net = register_module("mean_net", std::make_shared<nn::MLP>(o, gen));
  std_net = register_module("std_net", std::make_shared<nn::MLP>(o, gen));
}

std::shared_ptr<distributions::TanhNormal> TanhGaussianPolicy::forward(const Tensor& input) {
  return std::make_shared<distributions::TanhNormal>(mean_net->forward(input),
                                                     distributions::softplus_std(std_net->forward(input), 1e-6));
}

}  // namespace aime::models
