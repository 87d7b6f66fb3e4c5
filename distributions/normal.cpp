#include "distributions/normal.h"

#include <cmath>

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/shape_ops.h"

namespace aime::distributions {

namespace {
const double kHalfLog2Pi = 0.5 * std::log(2.0 * M_PI);

Shape checked_shape(const Tensor& loc, const Tensor& scale) {
  if (!loc.defined() || !scale.defined() || !loc.is_floating_point() || !scale.is_floating_point())
    throw DTypeError("Normal: loc and scale must be defined floating tensors");
  if (loc.dtype() != scale.dtype() || loc.device() != scale.device())
    throw DTypeError(std::string("Normal: loc and scale must share dtype and device, got ") + dtype_name(loc.dtype()) +
                     " on " + loc.device().str() + " and " + dtype_name(scale.dtype()) + " on " + scale.device().str());
  return broadcast_shapes(loc.shape(), scale.shape(), "Normal");
}
}  // namespace

Normal::Normal(const Tensor& loc, const Tensor& scale)
    : Distribution(checked_shape(loc, scale), {}),
      loc_(expand(loc, batch_shape())),
      scale_(expand(scale, batch_shape())) {}

Tensor Normal::rsample(Generator& gen, const Shape& sample_shape) const {
  const Tensor eps = randn(extended_shape(sample_shape), gen, loc_.dtype(), loc_.device());
  return loc_ + scale_ * eps;
}

Tensor Normal::log_prob(const Tensor& value) const {
  return -square(value - loc_) / (2.0 * square(scale_)) - log(scale_) - kHalfLog2Pi;
}

Tensor Normal::entropy() const { return log(scale_) + (0.5 + kHalfLog2Pi); }

Tensor Normal::variance() const { return square(scale_); }

std::shared_ptr<Distribution> Normal::detach() const {
  return std::make_shared<Normal>(loc_.detach(), scale_.detach());
}

}  // namespace aime::distributions
