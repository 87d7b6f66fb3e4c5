#include "nn/optim/adam.h"

#include "autograd/backend.h"

namespace aime::nn {

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options) : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, const AdamOptions& o, bool decoupled)
    : Optimizer(std::move(name), std::move(params)), options_(o), decoupled_(decoupled) {
  if (!(o.lr >= 0) || !(o.eps >= 0) || !(o.weight_decay >= 0) || !(o.beta1 >= 0 && o.beta1 < 1) ||
      !(o.beta2 >= 0 && o.beta2 < 1))
    throw ValueError(this->name() + ": need lr, eps, weight_decay >= 0 and betas in [0, 1), got lr " + number_string(o.lr) +
                     ", betas (" + number_string(o.beta1) + ", " + number_string(o.beta2) + "), eps " + number_string(o.eps) + ", weight_decay " +
                     number_string(o.weight_decay));
  add_state("exp_avg");
  add_state("exp_avg_sq");
  if (o.amsgrad) add_state("max_exp_avg_sq");
}

void Adam::update(const Tensor& param, const Tensor& grad, const std::map<std::string, Tensor>& state,
                  std::int64_t step) {
  AdamStepParams p;
  p.lr = options_.lr;
  p.beta1 = options_.beta1;
  p.beta2 = options_.beta2;
  p.eps = options_.eps;
  p.weight_decay = options_.weight_decay;
  p.decoupled_weight_decay = decoupled_;
  p.amsgrad = options_.amsgrad;
  p.maximize = options_.maximize;
  p.step = step;
  backend_for(param.device())
      .adam_step(p, param, grad, state.at("exp_avg"), state.at("exp_avg_sq"),
                 options_.amsgrad ? state.at("max_exp_avg_sq") : Tensor());
}

Metadata Adam::hyperparameters() const {
  return {{"lr", number_string(options_.lr)},
          {"beta1", number_string(options_.beta1)},
          {"beta2", number_string(options_.beta2)},
          {"eps", number_string(options_.eps)},
          {"weight_decay", number_string(options_.weight_decay)},
          {"amsgrad", options_.amsgrad ? "1" : "0"},
          {"maximize", options_.maximize ? "1" : "0"}};
}

void Adam::set_hyperparameters(const Metadata& v) {
  if ((number(v, "amsgrad") != 0) != options_.amsgrad)
    throw ValueError(name() + "::load_state_dict: the state has amsgrad " + v.at("amsgrad") +
                     ", this optimiser the other setting");
  options_.lr = number(v, "lr");
  options_.beta1 = number(v, "beta1");
  options_.beta2 = number(v, "beta2");
  options_.eps = number(v, "eps");
  options_.weight_decay = number(v, "weight_decay");
  options_.maximize = number(v, "maximize") != 0;
}

}  // namespace aime::nn
