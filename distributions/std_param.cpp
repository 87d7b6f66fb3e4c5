#include "distributions/std_param.h"

#include "autograd/ops/elementwise.h"
#include "autograd/ops/shape_ops.h"

namespace aime::distributions {

Tensor softplus_std(const Tensor& raw, double min_std) { return softplus(raw) + min_std; }

Tensor sigmoid_std(const Tensor& raw, double min_std) { return 2.0 * sigmoid(raw * 0.5) + min_std; }

std::pair<Tensor, Tensor> split_mean_std(const Tensor& output) {
  if (output.dim() < 1 || output.size(-1) % 2 != 0)
    throw ShapeError("split_mean_std: expected [..., 2D] (mean then raw std), got " + shape_str(output.shape()));
  const auto halves = chunk(output, 2, -1);
  return {halves[0], halves[1]};
}

}  // namespace aime::distributions
