// Linear: y = x W^T + b (torch.nn.Linear), over the last dim of x [..., in] -> [..., out].
#pragma once
#include "autograd/generator.h"
#include "nn/module.h"

namespace aime::nn {

class Linear : public UnaryModule {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  // PyTorch's default: W, b ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5)).
  void reset_parameters(Generator& gen = default_generator());

  const std::int64_t in_features, out_features;
  Tensor weight;  // [out, in]
  Tensor bias;    // [out], undefined without bias

 protected:
  std::string extra_repr() const override;
};

}  // namespace aime::nn
