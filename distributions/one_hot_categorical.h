// OneHotCategorical(logits [..., K]): one of K classes, drawn as a one-hot vector (event
// shape [K]), for discrete latent states (DreamerV2-style). rsample is the straight-through
// estimator: the forward value is the one-hot sample, the gradient that of the
// probabilities,  rsample = sample + probs - sg(probs).
//   log p(x) = sum_k x_k log_softmax(l)_k,   H = -sum_k p_k log p_k
#pragma once
#include "distributions/distribution.h"

namespace aime::distributions {

class OneHotCategorical : public Distribution {
 public:
  explicit OneHotCategorical(const Tensor& logits);

  std::string name() const override { return "OneHotCategorical"; }
  Tensor sample(Generator& gen, const Shape& sample_shape = {}) const override;
  Tensor rsample(Generator& gen, const Shape& sample_shape = {}) const override;
  using Distribution::rsample;
  using Distribution::sample;
  bool has_rsample() const override { return true; }
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;  // probs
  Tensor mode() const override;  // one-hot of the most likely class
  Tensor variance() const override;
  std::shared_ptr<Distribution> detach() const override;

  const Tensor& logits() const { return logits_; }
  Tensor probs() const;
  Tensor log_probs() const;  // log_softmax(logits): normalised

 private:
  Tensor logits_;
};

}  // namespace aime::distributions
