// Activation layers (torch.nn.ReLU, ELU, SiLU, Tanh, Sigmoid, Softplus, Identity): modules
// without parameters, so that a Sequential or MLP can hold them and print them. The maths
// and the derivatives are the elementwise ops of autograd/ops/elementwise.h.
#pragma once
#include <memory>
#include <string>

#include "nn/module.h"

namespace aime::nn {

class ReLU : public UnaryModule {
 public:
  ReLU() : UnaryModule("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

// y = x for x > 0, alpha (exp(x) - 1) otherwise.
class ELU : public UnaryModule {
 public:
  explicit ELU(double alpha = 1.0) : UnaryModule("ELU"), alpha(alpha) {}
  Tensor forward(const Tensor& x) override;
  const double alpha;

 protected:
  std::string extra_repr() const override;
};

// y = x sigmoid(x), a.k.a. swish.
class SiLU : public UnaryModule {
 public:
  SiLU() : UnaryModule("SiLU") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public UnaryModule {
 public:
  Tanh() : UnaryModule("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class Sigmoid : public UnaryModule {
 public:
  Sigmoid() : UnaryModule("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

// y = log(1 + exp(beta x)) / beta, linear above threshold.
class Softplus : public UnaryModule {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0)
      : UnaryModule("Softplus"), beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& x) override;
  const double beta, threshold;

 protected:
  std::string extra_repr() const override;
};

class Identity : public UnaryModule {
 public:
  Identity() : UnaryModule("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

// An activation by the name a configuration uses: relu, elu, silu (or swish), tanh,
// sigmoid, softplus, identity (or none, linear). ValueError listing the names otherwise.
std::shared_ptr<UnaryModule> make_activation(const std::string& name);

}  // namespace aime::nn
