#include "distributions/gaussian_likelihood.h"

#include <cmath>

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "distributions/normal.h"

namespace aime::distributions {

NllReweight parse_nll_reweight(const std::string& name) {
  if (name == "none") return NllReweight::None;
  if (name == "dim_wise") return NllReweight::DimWise;
  throw ValueError("nll_reweight: expected 'none' or 'dim_wise', got '" + name + "'");
}

Tensor gaussian_log_likelihood(const Tensor& x, const Tensor& mean, const Tensor& std, NllReweight reweight) {
  broadcast_shapes(x.shape(), mean.shape(), "gaussian_log_likelihood");
  const Tensor log_p = Normal(mean, std).log_prob(x);
  return reweight == NllReweight::DimWise ? log_p * std.detach() : log_p;
}

Tensor gaussian_log_likelihood(const Tensor& x, const Tensor& mean, double std, NllReweight reweight) {
  if (!(std > 0)) throw ValueError("gaussian_log_likelihood: std must be positive, got " + std::to_string(std));
  // log N(x | m, s) = -(x - m)^2 / (2 s^2) - log s - log(2 pi) / 2; DimWise scales by s.
  const Tensor log_p = square(x - mean) * (-0.5 / (std * std)) - (std::log(std) + 0.5 * std::log(2.0 * M_PI));
  return reweight == NllReweight::DimWise ? log_p * std : log_p;
}

}  // namespace aime::distributions
