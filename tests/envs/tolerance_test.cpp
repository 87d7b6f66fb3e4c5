#include "envs/tolerance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace aime::envs {
namespace {

TEST(Tolerance, MatchesDMCsDefinition) {
  EXPECT_EQ(tolerance(0.5, 0.0, 1.0), 1.0);
  EXPECT_EQ(tolerance(1.5, 0.0, 1.0), 0.0);  // no margin: a step
  // At exactly one margin outside, the value is value_at_margin (0.1 by default).
  EXPECT_NEAR(tolerance(3.0, 0.0, 1.0, 2.0), 0.1, 1e-15);
  EXPECT_NEAR(tolerance(-2.0, 0.0, 0.0, 2.0), 0.1, 1e-15);
  // Quadratic with value_at_margin 0: 1 - d^2, zero beyond the margin.
  EXPECT_NEAR(tolerance(0.5, 0.0, 0.0, 1.0, Sigmoid::Quadratic, 0.0), 0.75, 1e-15);
  EXPECT_EQ(tolerance(2.0, 0.0, 0.0, 1.0, Sigmoid::Quadratic, 0.0), 0.0);
  // Gaussian halfway: exp(-(0.5 s)^2 / 2) with s^2 = -2 ln 0.1, i.e. 0.1^(1/4).
  EXPECT_NEAR(tolerance(1.0, 0.0, 0.0, 2.0), std::pow(0.1, 0.25), 1e-15);
}

}  // namespace
}  // namespace aime::envs
