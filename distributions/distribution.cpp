#include "distributions/distribution.h"

#include "autograd/autograd.h"
#include "autograd/ops/elementwise.h"

namespace aime::distributions {

Tensor Distribution::sample(Generator& gen, const Shape& sample_shape) const {
  NoGradGuard no_grad;
  return rsample(gen, sample_shape).detach();
}

Tensor Distribution::rsample(Generator&, const Shape&) const {
  throw ValueError(name() + ": has no reparameterised sampler (rsample); use sample()");
}

Tensor Distribution::stddev() const { return sqrt(variance()); }

Shape Distribution::extended_shape(const Shape& sample_shape) const {
  Shape s = sample_shape;
  s.insert(s.end(), batch_shape_.begin(), batch_shape_.end());
  s.insert(s.end(), event_shape_.begin(), event_shape_.end());
  return s;
}

}  // namespace aime::distributions
