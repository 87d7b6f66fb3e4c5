// KL divergences and the RSSM's KL regularisers.
#pragma once
#include "distributions/distribution.h"

namespace aime::distributions {

// KL(p || q), analytic, one value per batch element:
//   Normal-Normal:  log(s_q / s_p) + (s_p^2 + (mu_p - mu_q)^2) / (2 s_q^2) - 1/2
//   Independent-Independent (same reinterpreted dims): the base KL summed over them
//   OneHotCategorical pair:  sum_k p_k (log p_k - log q_k)
//   Bernoulli pair:          p (log p - log q) + (1 - p)(log(1 - p) - log(1 - q)), via logits
//   TanhNormal pair:         the KL of the base Normals (tanh is a bijection; as the original)
// Any other pair throws ValueError naming both.
Tensor kl_divergence(const Distribution& p, const Distribution& q);

// KL balancing (DreamerV2; the original's kl_rebalance): with alpha in [0, 1],
//   alpha KL(sg(p) || q) + (1 - alpha) KL(p || sg(q))
// Its value is KL(p || q); alpha sets how much of the gradient trains q (the prior) versus p
// (the posterior). The original's RSSMO uses alpha = 0.8 with p = posterior, q = prior.
Tensor kl_balance(const Distribution& p, const Distribution& q, double alpha);

// Free nats on a per-dim KL [..., D] (the original's RSSMO, free_nats 1.0): the value is
// the KL itself, the gradient that of max(sum_d KL, free_nats), spread evenly over the D
// dims:
//   clamped = max(sum_d kl, free_nats) / D (per dim);  result = clamped + sg(kl - clamped)
// So once a step's total KL is under free_nats, it no longer pulls the posterior toward
// the prior, while the logged KL stays the true one.
Tensor free_nats(const Tensor& kl_per_dim, double nats);

}  // namespace aime::distributions
