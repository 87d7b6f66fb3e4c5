#include "nn/layer_norm.h"

#include <sstream>

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"

namespace aime::nn {

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  const Shape tail = x.dim() >= k ? Shape(x.shape().end() - k, x.shape().end()) : Shape{};
  if (k == 0 || x.dim() < k || tail != normalized_shape)
    throw ShapeError("layer_norm: input must end with normalized_shape " + shape_str(normalized_shape) + ", got " +
                     shape_str(x.shape()));
  std::vector<std::int64_t> dims;
  for (std::int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  const Tensor centred = x - mean(x, dims, true);
  const Tensor variance = mean(square(centred), dims, true);  // biased, as PyTorch
  Tensor y = centred * rsqrt(variance + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

LayerNorm::LayerNorm(Shape shape, double eps_, bool affine)
    : UnaryModule("LayerNorm"), normalized_shape(std::move(shape)), eps(eps_) {
  if (normalized_shape.empty() || numel_of(normalized_shape) <= 0)
    throw ValueError("LayerNorm: normalized_shape must be non-empty with positive sizes, got " +
                     shape_str(normalized_shape));
  if (affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, normalized_shape, weight, bias, eps); }

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << "(";
  for (std::size_t i = 0; i < normalized_shape.size(); ++i) os << (i ? ", " : "") << normalized_shape[i];
  os << (normalized_shape.size() == 1 ? ",)" : ")") << ", eps=" << eps
     << ", elementwise_affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

}  // namespace aime::nn
