#include "nn/optim/sgd.h"

#include "autograd/ops/elementwise.h"

namespace aime::nn {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& o) : Optimizer("SGD", std::move(params)), options_(o) {
  if (o.lr < 0 || o.momentum < 0 || o.weight_decay < 0)
    throw ValueError("SGD: lr, momentum and weight_decay must be >= 0, got lr " + number_string(o.lr) + ", momentum " +
                     number_string(o.momentum) + ", weight_decay " + number_string(o.weight_decay));
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw ValueError("SGD: nesterov momentum needs momentum > 0 and dampening 0");
  if (o.momentum != 0) add_state("momentum_buffer");
}

void SGD::update(const Tensor& param, const Tensor& grad, const std::map<std::string, Tensor>& state,
                 std::int64_t step) {
  const SGDOptions& o = options_;
  Tensor g = o.maximize ? -grad : grad;
  if (o.weight_decay != 0) g = g + param * o.weight_decay;
  if (o.momentum != 0) {
    Tensor buffer = state.at("momentum_buffer");
    if (step == 1) {
      buffer.copy_(g);
    } else {
      buffer.mul_(o.momentum);
      buffer.add_(g, 1.0 - o.dampening);
    }
    g = o.nesterov ? g + buffer * o.momentum : buffer;
  }
  Tensor p = param;
  p.add_(g, -o.lr);
}

Metadata SGD::hyperparameters() const {
  return {{"lr", number_string(options_.lr)},
          {"momentum", number_string(options_.momentum)},
          {"dampening", number_string(options_.dampening)},
          {"weight_decay", number_string(options_.weight_decay)},
          {"nesterov", options_.nesterov ? "1" : "0"},
          {"maximize", options_.maximize ? "1" : "0"}};
}

void SGD::set_hyperparameters(const Metadata& v) {
  options_.lr = number(v, "lr");
  options_.momentum = number(v, "momentum");
  options_.dampening = number(v, "dampening");
  options_.weight_decay = number(v, "weight_decay");
  options_.nesterov = number(v, "nesterov") != 0;
  options_.maximize = number(v, "maximize") != 0;
}

}  // namespace aime::nn
