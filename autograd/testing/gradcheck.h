// Gradient checking by central differences in float64, usable from any test:
//
//   auto r = gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[1]; },
//                      {randn({3, 4}, gen, kFloat64), randn({4}, gen, kFloat64)});
//   EXPECT_TRUE(r.ok) << r.message;
//
// A non-scalar output y is reduced to L = sum(y * R) with fixed random weights R, so one
// backward checks every output element's gradient at once. Each float64 input gets
// dL/dx from backward() and (L(x + eps e_j) - L(x - eps e_j)) / (2 eps) per element j.
// Integer inputs (indices, masks) are passed through and not checked.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace aime {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;   // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-4;
  std::uint64_t seed = 1234;  // for the projection weights R
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string message;  // the first mismatching element, side by side; empty when ok
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace aime
