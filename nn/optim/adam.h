// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with torch.optim's update
// rules and defaults; the update is one fused backend kernel (the maths is written over
// AdamStepParams in autograd/backend.h). Adam's weight_decay is L2 added to the gradient;
// AdamW's decays the weights directly (p *= 1 - lr * weight_decay) before the step.
#pragma once
#include "nn/optim/optimizer.h"

namespace aime::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // AdamW's default is 1e-2 (see AdamW below)
  bool amsgrad = false;
  bool maximize = false;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, std::vector<Tensor> params, const AdamOptions& options, bool decoupled);
  void update(const Tensor& param, const Tensor& grad, const std::map<std::string, Tensor>& state,
              std::int64_t step) override;
  Metadata hyperparameters() const override;
  void set_hyperparameters(const Metadata& values) override;

 private:
  AdamOptions options_;
  bool decoupled_;
};

// AdamW's options: Adam's, with weight_decay 1e-2 (torch.optim.AdamW's default).
inline AdamOptions adamw_defaults() {
  AdamOptions o;
  o.weight_decay = 1e-2;
  return o;
}

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamOptions& options = adamw_defaults())
      : Adam("AdamW", std::move(params), options, true) {}
};

}  // namespace aime::nn
