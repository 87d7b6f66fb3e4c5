// Test helper: checks the gradients a module's backward gives its parameters against
// central differences, in float64. The module must already be float64 on the CPU.
//   L = sum(f() * R), R fixed random weights; dL/dtheta_j from backward() versus
//   (L(theta + eps e_j) - L(theta - eps e_j)) / (2 eps) for every element of every parameter.
#pragma once
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "autograd/api.h"
#include "nn/module.h"

namespace aime::nn::testing {

inline std::string check_parameter_gradients(Module& module, const std::function<Tensor()>& f, double eps = 1e-6,
                                             double atol = 1e-6, double rtol = 1e-4) {
  Generator gen(99);
  const Tensor weights = randn(f().shape(), gen, kFloat64);
  auto loss = [&] { return sum(f() * weights); };
  module.zero_grad(true);
  loss().backward();
  for (auto& [name, p] : module.named_parameters()) {
    if (p.dtype() != kFloat64) return name + " is not float64";
    const Tensor analytic = p.grad();
    if (!analytic.defined()) return name + " got no gradient";
    const std::vector<double> a = analytic.to_vector<double>();
    NoGradGuard no_grad;
    double* data = p.data<double>();
    for (std::int64_t j = 0; j < p.numel(); ++j) {
      const double saved = data[j];
      data[j] = saved + eps;
      const double plus = loss().item();
      data[j] = saved - eps;
      const double minus = loss().item();
      data[j] = saved;
      const double numeric = (plus - minus) / (2 * eps);
      if (!(std::fabs(a[j] - numeric) <= atol + rtol * std::fabs(numeric))) {
        std::ostringstream os;
        os.precision(10);
        os << name << "[" << j << "]: analytic " << a[j] << " vs numeric " << numeric;
        return os.str();
      }
    }
  }
  return "";
}

}  // namespace aime::nn::testing
