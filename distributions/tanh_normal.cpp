#include "distributions/tanh_normal.h"

#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"

namespace aime::distributions {

namespace {
// log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), finite for every u.
Tensor log_one_minus_tanh_squared(const Tensor& u) { return 2.0 * (std::log(2.0) - u - softplus(-2.0 * u)); }
}  // namespace

TanhNormal::TanhNormal(const Tensor& loc, const Tensor& scale)
    : Distribution(Normal(loc, scale).batch_shape(), {}), base_(loc, scale) {}

Tensor TanhNormal::rsample(Generator& gen, const Shape& sample_shape) const {
  return tanh(base_.rsample(gen, sample_shape));
}

std::pair<Tensor, Tensor> TanhNormal::rsample_with_log_prob(Generator& gen, const Shape& sample_shape) const {
  const Tensor u = base_.rsample(gen, sample_shape);
  return {tanh(u), log_prob_pre_tanh(u)};
}

Tensor TanhNormal::log_prob_pre_tanh(const Tensor& u) const {
  return base_.log_prob(u) - log_one_minus_tanh_squared(u);
}

Tensor TanhNormal::log_prob(const Tensor& action) const {
  return log_prob_pre_tanh(atanh(clamp(action, -kTanhClip, kTanhClip)));
}

Tensor TanhNormal::entropy() const {
  throw ValueError("TanhNormal: the entropy has no closed form; use entropy_estimate(gen, samples)");
}

Tensor TanhNormal::entropy_estimate(Generator& gen, std::int64_t samples) const {
  if (samples < 1) throw ValueError("TanhNormal::entropy_estimate: samples must be >= 1, got " + std::to_string(samples));
  const Tensor u = base_.rsample(gen, {samples});
  return -aime::mean(log_prob_pre_tanh(u), 0);
}

Tensor TanhNormal::mean() const {
  throw ValueError("TanhNormal: the mean has no closed form; use mode() (tanh(loc)) or average samples");
}

Tensor TanhNormal::variance() const {
  throw ValueError("TanhNormal: the variance has no closed form; average samples instead");
}

Tensor TanhNormal::mode() const { return tanh(base_.loc()); }

std::shared_ptr<Distribution> TanhNormal::detach() const {
  return std::make_shared<TanhNormal>(base_.loc().detach(), base_.scale().detach());
}

}  // namespace aime::distributions
