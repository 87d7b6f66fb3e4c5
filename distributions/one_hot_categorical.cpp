#include "distributions/one_hot_categorical.h"

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape_ops.h"

namespace aime::distributions {

namespace {
Shape batch_of(const Tensor& logits) {
  if (!logits.defined() || !logits.is_floating_point() || logits.dim() < 1 || logits.size(-1) < 1)
    throw ValueError("OneHotCategorical: logits must be a floating tensor [..., K] with K >= 1");
  return Shape(logits.shape().begin(), logits.shape().end() - 1);
}
}  // namespace

OneHotCategorical::OneHotCategorical(const Tensor& logits)
    : Distribution(batch_of(logits), {logits.size(-1)}), logits_(logits) {}

Tensor OneHotCategorical::probs() const { return softmax(logits_, -1); }
Tensor OneHotCategorical::log_probs() const { return log_softmax(logits_, -1); }

// Gumbel-max: argmax_k (log p_k + g_k), g_k = -log(-log u_k), u_k ~ U(0, 1), draws class k
// with probability p_k.
Tensor OneHotCategorical::sample(Generator& gen, const Shape& sample_shape) const {
  NoGradGuard no_grad;
  const Shape shape = extended_shape(sample_shape);
  const Tensor u = clamp(rand(shape, gen, logits_.dtype(), logits_.device()), 1e-20, 1.0);
  const Tensor gumbel = -log(-log(u));
  const Tensor index = argmax(log_probs().detach() + gumbel, -1);
  return one_hot(index, event_shape()[0], logits_.dtype());
}

Tensor OneHotCategorical::rsample(Generator& gen, const Shape& sample_shape) const {
  const Tensor p = probs();
  return sample(gen, sample_shape) + (p - p.detach());
}

Tensor OneHotCategorical::log_prob(const Tensor& value) const {
  if (value.dim() < 1 || value.size(-1) != event_shape()[0])
    throw ShapeError("OneHotCategorical::log_prob: value must be one-hot [..., " + std::to_string(event_shape()[0]) +
                     "], got " + shape_str(value.shape()));
  return sum(value * log_probs(), -1);
}

Tensor OneHotCategorical::entropy() const { return -sum(probs() * log_probs(), -1); }

Tensor OneHotCategorical::mean() const { return probs(); }

Tensor OneHotCategorical::mode() const { return one_hot(argmax(logits_, -1), event_shape()[0], logits_.dtype()); }

Tensor OneHotCategorical::variance() const {
  const Tensor p = probs();
  return p * (1.0 - p);
}

std::shared_ptr<Distribution> OneHotCategorical::detach() const {
  return std::make_shared<OneHotCategorical>(logits_.detach());
}

}  // namespace aime::distributions
