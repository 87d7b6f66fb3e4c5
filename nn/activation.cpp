#include "nn/activation.h"

#include <sstream>

#include "autograd/ops/elementwise.h"

namespace aime::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha); }
Tensor SiLU::forward(const Tensor& x) { return silu(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Softplus::forward(const Tensor& x) { return softplus(x, beta, threshold); }

std::string ELU::extra_repr() const {
  std::ostringstream os;
  os << "alpha=" << alpha;
  return os.str();
}

std::string Softplus::extra_repr() const {
  std::ostringstream os;
  os << "beta=" << beta << ", threshold=" << threshold;
  return os.str();
}

std::shared_ptr<UnaryModule> make_activation(const std::string& name) {
  if (name == "relu") return std::make_shared<ReLU>();
  if (name == "elu") return std::make_shared<ELU>();
  if (name == "silu" || name == "swish") return std::make_shared<SiLU>();
  if (name == "tanh") return std::make_shared<Tanh>();
  if (name == "sigmoid") return std::make_shared<Sigmoid>();
  if (name == "softplus") return std::make_shared<Softplus>();
  if (name == "identity" || name == "none" || name == "linear") return std::make_shared<Identity>();
  throw ValueError("make_activation: unknown activation '" + name +
                   "' (expected relu, elu, silu, swish, tanh, sigmoid, softplus or identity)");
}

}  // namespace aime::nn
