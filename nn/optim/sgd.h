// SGD with momentum (torch.optim.SGD's rule and defaults), per step t (1-based):
//   g = grad (negated when maximize) + weight_decay * p
//   b = g at t = 1, else momentum * b + (1 - dampening) * g      (when momentum != 0)
//   g = g + momentum * b if nesterov, else b
//   p = p - lr * g
#pragma once
#include "nn/optim/optimizer.h"

namespace aime::nn {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }
  const SGDOptions& options() const { return options_; }

 protected:
  void update(const Tensor& param, const Tensor& grad, const std::map<std::string, Tensor>& state,
              std::int64_t step) override;
  Metadata hyperparameters() const override;
  void set_hyperparameters(const Metadata& values) override;

 private:
  SGDOptions options_;
};

}  // namespace aime::nn
