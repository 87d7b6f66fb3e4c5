// Bernoulli(logits): x in {0, 1} with P(x = 1) = sigmoid(logits), elementwise (e.g. an
// episode-continuation head).
//   log p(x) = x l - softplus(l)          (binary cross-entropy with logits, negated)
//   H = softplus(l) - l sigmoid(l)
#pragma once
#include "distributions/distribution.h"

namespace aime::distributions {

class Bernoulli : public Distribution {
 public:
  explicit Bernoulli(const Tensor& logits);

  std::string name() const override { return "Bernoulli"; }
  Tensor sample(Generator& gen, const Shape& sample_shape = {}) const override;  // 0/1 in the logits' dtype
  using Distribution::sample;
  Tensor log_prob(const Tensor& value) const override;
  Tensor entropy() const override;
  Tensor mean() const override;  // probs
  Tensor mode() const override;  // 1 where logits > 0
  Tensor variance() const override;
  std::shared_ptr<Distribution> detach() const override;

  const Tensor& logits() const { return logits_; }
  Tensor probs() const;

 private:
  Tensor logits_;
};

}  // namespace aime::distributions
