#include "distributions/bernoulli.h"

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/shape_ops.h"

namespace aime::distributions {

namespace {
const Tensor& checked(const Tensor& logits) {
  if (!logits.defined() || !logits.is_floating_point()) throw DTypeError("Bernoulli: logits must be a floating tensor");
  return logits;
}
}  // namespace

Bernoulli::Bernoulli(const Tensor& logits) : Distribution(checked(logits).shape(), {}), logits_(logits) {}

Tensor Bernoulli::probs() const { return sigmoid(logits_); }

Tensor Bernoulli::sample(Generator& gen, const Shape& sample_shape) const {
  NoGradGuard no_grad;
  const Tensor u = rand(extended_shape(sample_shape), gen, logits_.dtype(), logits_.device());
  return lt(u, probs().detach()).to(logits_.dtype());
}

Tensor Bernoulli::log_prob(const Tensor& value) const { return value * logits_ - softplus(logits_); }

Tensor Bernoulli::entropy() const { return softplus(logits_) - logits_ * sigmoid(logits_); }

Tensor Bernoulli::mean() const { return probs(); }

Tensor Bernoulli::mode() const { return gt(logits_, zeros_like(logits_)).to(logits_.dtype()); }

Tensor Bernoulli::variance() const {
  const Tensor p = probs();
  return p * (1.0 - p);
}

std::shared_ptr<Distribution> Bernoulli::detach() const { return std::make_shared<Bernoulli>(logits_.detach()); }

}  // namespace aime::distributions
