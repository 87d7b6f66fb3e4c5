#include "nn/linear.h"

#include <cmath>

#include "autograd/ops/creation.h"
#include "autograd/ops/matmul.h"
#include "nn/init.h"

namespace aime::nn {

Linear::Linear(std::int64_t in, std::int64_t out, bool has_bias, Generator& gen)
    : UnaryModule("Linear"), in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw ValueError("Linear: in_features and out_features must be positive, got " + std::to_string(in) + " and " +
                     std::to_string(out));
  weight = register_parameter("weight", empty({out, in}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters(gen);
}

void Linear::reset_parameters(Generator& gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), true, "leaky_relu", gen);
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(bias, -bound, bound, gen);
  }
}

Tensor Linear::forward(const Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != in_features)
    throw ShapeError("Linear: input must be [..., " + std::to_string(in_features) + "], got " + shape_str(x.shape()));
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace aime::nn
