// Normal(loc, scale): the Gaussian, elementwise (batch_shape = broadcast of loc and scale,
// no event dims; wrap it in Independent to sum log_prob over trailing dims).
//   log N(x | mu, s) = -(x - mu)^2 / (2 s^2) - log s - log(2 pi) / 2
//   H = 1/2 + log(2 pi) / 2 + log s
//   rsample = mu + s * eps,  eps ~ N(0, 1)
#pragma once
#include "distributions/distribution.h"

namespace aime::distributions {

class Normal : public Distribution {
 public:
  // loc and scale broadcast together (floating, same dtype and device); scale > 0 is the
  // caller's contract (build it with softplus_std or sigmoid_std).
  Normal(const Tensor& loc, const Tensor& scale);

  std::string name() const override { return "Normal"; }
  Tensor rsample(Generator& gen, const Shape& sample_shape = {}) const override;
  using Distribution::rsample;
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return loc_; }
  Tensor mode() const override { return loc_; }
  Tensor stddev() const override { return scale_; }
  Tensor variance() const override;
  std::shared_ptr<Distribution> detach() const override;

  const Tensor& loc() const { return loc_; }
  const Tensor& scale() const { return scale_; }

 private:
  Tensor loc_, scale_;              // both expanded to batch_shape
  Tensor given_loc_, given_scale_;  // as given: log_prob computes log(scale) at this size
};

}  // namespace aime::distributions
