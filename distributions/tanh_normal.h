// TanhNormal(loc, scale): a = tanh(u), u ~ Normal(loc, scale): bounded actions in (-1, 1)
// for policies (elementwise; wrap in Independent to sum over action dims). As the
// original (aime/dist.py): log_prob clamps given actions to +-0.999 (TANH_CLIP) before
// inverting tanh, the mode is tanh(loc), and KL between two TanhNormals is the KL of their
// base Normals.
//   log p(a) = log N(u | loc, scale) - log(1 - tanh(u)^2),  u = atanh(a)
//   log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))     (stable for any u)
#pragma once
#include "distributions/normal.h"

namespace aime::distributions {

class TanhNormal : public Distribution {
 public:
  static constexpr double kTanhClip = 0.999;

  TanhNormal(const Tensor& loc, const Tensor& scale);

  std::string name() const override { return "TanhNormal"; }
  Tensor rsample(Generator& gen, const Shape& sample_shape = {}) const override;
  using Distribution::rsample;
  bool has_rsample() const override { return true; }
  // Draws (action, its log-prob) together, with the log-prob computed from the pre-tanh
  // value: exact and finite even where tanh(u) rounds to +-1.
  std::pair<Tensor, Tensor> rsample_with_log_prob(Generator& gen, const Shape& sample_shape = {}) const;
  // Log-density of actions in [-1, 1] (clamped to +-kTanhClip first).
  Tensor log_prob(const Tensor& action) const override;
  // Log-density of the action tanh(u) given the pre-tanh value u (any u).
  Tensor log_prob_pre_tanh(const Tensor& u) const;
  // No closed form: throws ValueError pointing at entropy_estimate.
  Tensor entropy() const override;
  // -mean over `samples` draws of log p(a): an unbiased estimate of the entropy (one value
  // per batch element), differentiable through rsample.
  Tensor entropy_estimate(Generator& gen, std::int64_t samples = 1) const;
  // No closed form: throws ValueError (use mode(), or average samples).
  Tensor mean() const override;
  Tensor variance() const override;
  Tensor mode() const override;  // tanh(loc)
  std::shared_ptr<Distribution> detach() const override;

  const Normal& base() const { return base_; }

 private:
  Normal base_;
};

}  // namespace aime::distributions
