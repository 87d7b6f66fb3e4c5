// Independent(base, n): reinterprets the last n batch dims of `base` as event dims, so
// log_prob and entropy sum over them (torch.distributions.Independent). The RSSM's
// stochastic state is Independent(Normal(mu, s), 1): one log-density per state vector.
#pragma once
#include "distributions/distribution.h"

namespace aime::distributions {

class Independent : public Distribution {
 public:
  Independent(std::shared_ptr<const Distribution> base, std::int64_t reinterpreted_batch_ndims);

  std::string name() const override { return "Independent(" + base_->name() + ")"; }
  Tensor sample(Generator& gen, const Shape& sample_shape = {}) const override { return base_->sample(gen, sample_shape); }
  Tensor rsample(Generator& gen, const Shape& sample_shape = {}) const override {
    return base_->rsample(gen, sample_shape);
  }
  using Distribution::rsample;
  using Distribution::sample;
  bool has_rsample() const override { return base_->has_rsample(); }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override { return base_->mean(); }
  Tensor mode() const override { return base_->mode(); }
  Tensor variance() const override { return base_->variance(); }
  Tensor stddev() const override { return base_->stddev(); }
  std::shared_ptr<Distribution> detach() const override;

  const Distribution& base() const { return *base_; }
  std::int64_t reinterpreted_batch_ndims() const { return ndims_; }
  // Sums x over its last n dims (n = 0: x unchanged).
  Tensor sum_rightmost(const Tensor& x) const;

 private:
  std::shared_ptr<const Distribution> base_;
  std::int64_t ndims_;
};

}  // namespace aime::distributions
