#include "distributions/normal.h"

#include <cmath>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/reduce.h"
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
      scale_(expand(scale, batch_shape())),
      given_loc_(loc),
      given_scale_(scale) {}

Tensor Normal::rsample(Generator& gen, const Shape& sample_shape) const {
  const Tensor eps = randn(extended_shape(sample_shape), gen, loc_.dtype(), loc_.device());
  return loc_ + scale_ * eps;
}

// log N(v; mu, sigma) = -z^2 / 2 - log sigma - log sqrt(2 pi), z = (v - mu) / sigma, as one
// recorded op. Its backward reads v, mu and sigma (alive anyway) and keeps no temporary of
// the forward, which matters for an image likelihood over [T, B, 3, 64, 64]:
//   d/dmu = z / sigma,   d/dv = -z / sigma,   d/dsigma = (z^2 - 1) / sigma.
Tensor Normal::log_prob(const Tensor& value) const {
  const Tensor& m = given_loc_;
  const Tensor& s = given_scale_;
  Tensor out;
  {  // One statement per step: at most two value-sized tensors alive at once.
    NoGradGuard no_grad;
    out = value - m;
    out = out / s;
    out = square(out);
    out.mul_(-0.5);
    out = out - (log(s) + kHalfLog2Pi);
  }
  const bool need_v = value.requires_grad(), need_m = m.requires_grad(), need_s = s.requires_grad();
  return record(out, "NormalLogProbBackward", {value, m, s},
                [need_v, need_m, need_s, v = value.detach(), md = m.detach(), sd = s.detach()](const Tensor& g) {
                  Tensor z = v - md;
                  z = z / sd;
                  Tensor g_over_s = g / sd;
                  Tensor gv, gm, gs;
                  if (need_s) gs = sum_to(g_over_s * (square(z) - 1.0), sd.shape());
                  z = z * g_over_s;  // g z / s
                  g_over_s = Tensor();
                  if (need_m) gm = sum_to(z, md.shape());
                  if (need_v) gv = sum_to(neg(z), v.shape());
                  return std::vector<Tensor>{gv, gm, gs};
                });
}

Tensor Normal::entropy() const { return log(scale_) + (0.5 + kHalfLog2Pi); }

Tensor Normal::variance() const { return square(scale_); }

std::shared_ptr<Distribution> Normal::detach() const {
  return std::make_shared<Normal>(loc_.detach(), scale_.detach());
}

}  // namespace aime::distributions
