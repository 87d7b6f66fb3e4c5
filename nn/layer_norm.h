// LayerNorm (Ba et al. 2016; torch.nn.LayerNorm) over the last `normalized_shape.size()`
// dims:  y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias,  Var biased (divides by n).
#pragma once
#include "nn/module.h"

namespace aime::nn {

// The functional form; weight and bias (shape normalized_shape) may be undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override;

  const Shape normalized_shape;
  const double eps;
  Tensor weight;  // ones, [normalized_shape]
  Tensor bias;    // zeros

 protected:
  std::string extra_repr() const override;
};

}  // namespace aime::nn
