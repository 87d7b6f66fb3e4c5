#include "distributions/kl.h"

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "distributions/bernoulli.h"
#include "distributions/independent.h"
#include "distributions/normal.h"
#include "distributions/one_hot_categorical.h"
#include "distributions/tanh_normal.h"

namespace aime::distributions {

namespace {
Tensor kl_normal_normal(const Normal& p, const Normal& q) {
  const Tensor var_ratio = square(p.scale() / q.scale());
  const Tensor mean_term = square((p.loc() - q.loc()) / q.scale());
  return 0.5 * (var_ratio + mean_term - 1.0 - log(var_ratio));
}
}  // namespace

Tensor kl_divergence(const Distribution& p, const Distribution& q) {
  if (auto* pn = dynamic_cast<const Normal*>(&p))
    if (auto* qn = dynamic_cast<const Normal*>(&q)) return kl_normal_normal(*pn, *qn);
  if (auto* pt = dynamic_cast<const TanhNormal*>(&p))
    if (auto* qt = dynamic_cast<const TanhNormal*>(&q)) return kl_normal_normal(pt->base(), qt->base());
  if (auto* pi = dynamic_cast<const Independent*>(&p))
    if (auto* qi = dynamic_cast<const Independent*>(&q)) {
      if (pi->reinterpreted_batch_ndims() != qi->reinterpreted_batch_ndims())
        throw ValueError("kl_divergence: Independent distributions reinterpret " +
                         std::to_string(pi->reinterpreted_batch_ndims()) + " and " +
                         std::to_string(qi->reinterpreted_batch_ndims()) + " dims; they must match");
      return pi->sum_rightmost(kl_divergence(pi->base(), qi->base()));
    }
  if (auto* pc = dynamic_cast<const OneHotCategorical*>(&p))
    if (auto* qc = dynamic_cast<const OneHotCategorical*>(&q))
      return sum(pc->probs() * (pc->log_probs() - qc->log_probs()), -1);
  if (auto* pb = dynamic_cast<const Bernoulli*>(&p))
    if (auto* qb = dynamic_cast<const Bernoulli*>(&q)) {
      // log p = log_sigmoid(l), log(1 - p) = log_sigmoid(-l): stable for large logits.
      const Tensor pp = pb->probs();
      return pp * (log_sigmoid(pb->logits()) - log_sigmoid(qb->logits())) +
             (1.0 - pp) * (log_sigmoid(-pb->logits()) - log_sigmoid(-qb->logits()));
    }
  throw ValueError("kl_divergence: no analytic KL for the pair (" + p.name() + ", " + q.name() + ")");
}

Tensor kl_balance(const Distribution& p, const Distribution& q, double alpha) {
  if (!(alpha >= 0.0 && alpha <= 1.0)) throw ValueError("kl_balance: alpha must be in [0, 1], got " + std::to_string(alpha));
  return alpha * kl_divergence(*p.detach(), q) + (1.0 - alpha) * kl_divergence(p, *q.detach());
}

Tensor free_nats(const Tensor& kl_per_dim, double nats) {
  if (kl_per_dim.dim() < 1 || kl_per_dim.size(-1) < 1)
    throw ShapeError("free_nats: expected a per-dim KL [..., D], got " + shape_str(kl_per_dim.shape()));
  const double dims = static_cast<double>(kl_per_dim.size(-1));
  const Tensor total = sum(kl_per_dim, -1, true);
  const Tensor clamped = maximum(total, full_like(total, nats)) / dims;  // broadcast over D
  return clamped + (kl_per_dim - clamped).detach();
}

}  // namespace aime::distributions
