#include "autograd/testing/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/api.h"

namespace aime {

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs_in, const GradcheckOptions& opt) {
  std::vector<Tensor> inputs;
  for (const auto& x : inputs_in) {
    if (x.is_floating_point() && x.dtype() != kFloat64)
      throw DTypeError("gradcheck: floating inputs must be float64, got " + std::string(dtype_name(x.dtype())));
    Tensor leaf = x.detach().clone();
    if (x.is_floating_point()) leaf.requires_grad_();
    inputs.push_back(leaf);
  }
  Tensor y = f(inputs);
  Generator gen(opt.seed);
  const Tensor weights = randn(y.shape(), gen, kFloat64, y.device());
  auto objective = [&](const std::vector<Tensor>& in) { return sum(f(in) * weights); };

  GradcheckResult result;
  Tensor loss = objective(inputs);
  if (!loss.requires_grad()) {
    result.ok = false;
    result.message = "gradcheck: the output does not depend on any input that requires grad";
    return result;
  }
  loss.backward();

  NoGradGuard no_grad;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].is_floating_point()) continue;
    const Tensor analytic_t = inputs[i].grad();
    const std::vector<double> analytic =
        analytic_t.defined() ? analytic_t.to_vector<double>() : std::vector<double>(inputs[i].numel(), 0.0);
    std::vector<Tensor> probe = inputs;
    Tensor x = inputs[i].detach().clone();
    probe[i] = x;
    double* data = x.data<double>();
    for (std::int64_t j = 0; j < x.numel(); ++j) {
      const double saved = data[j];
      data[j] = saved + opt.eps;
      const double plus = objective(probe).item();
      data[j] = saved - opt.eps;
      const double minus = objective(probe).item();
      data[j] = saved;
      const double numeric = (plus - minus) / (2 * opt.eps);
      const double err = std::fabs(analytic[j] - numeric);
      result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
      if (result.ok && !(err <= opt.atol + opt.rtol * std::fabs(numeric))) {
        result.ok = false;
        std::ostringstream os;
        os.precision(10);
        os << "gradient mismatch at input " << i << " (shape " << shape_str(x.shape()) << ") element " << j
           << ": analytic " << analytic[j] << " vs numeric " << numeric << " (|diff| " << err << ")";
        result.message = os.str();
      }
    }
  }
  return result;
}

}  // namespace aime
