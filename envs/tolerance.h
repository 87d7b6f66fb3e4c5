// DeepMind Control's reward shaping (dm_control/utils/rewards.py, re-derived): tolerance(x)
// is 1 inside [lower, upper] and falls off outside over `margin` to `value_at_margin`,
// along a sigmoid:
//   gaussian:  exp(-(d s)^2 / 2),  s = sqrt(-2 ln(value_at_margin))
//   quadratic: max(1 - (d s)^2, 0),  s = sqrt(1 - value_at_margin)
// with d = distance outside the bounds / margin. A zero margin gives a step 1/0.
#pragma once
#include <cmath>

namespace aime::envs {

enum class Sigmoid { Gaussian, Quadratic, Linear };

inline double tolerance(double x, double lower, double upper, double margin = 0.0,
                        Sigmoid sigmoid = Sigmoid::Gaussian, double value_at_margin = 0.1) {
  if (x >= lower && x <= upper) return 1.0;
  if (margin <= 0.0) return 0.0;
  const double d = (x < lower ? lower - x : x - upper) / margin;
  if (sigmoid == Sigmoid::Gaussian) {
    const double s = std::sqrt(-2.0 * std::log(value_at_margin));
    return std::exp(-0.5 * (d * s) * (d * s));
  }
  if (sigmoid == Sigmoid::Linear) return std::fmax(1.0 - d * (1.0 - value_at_margin), 0.0);
  const double s = std::sqrt(1.0 - value_at_margin);
  return std::fmax(1.0 - (d * s) * (d * s), 0.0);
}

}  // namespace aime::envs
