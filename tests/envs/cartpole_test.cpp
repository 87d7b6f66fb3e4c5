#include "envs/cartpole.h"

#include <gtest/gtest.h>

#include "autograd/error.h"

#include <cmath>

namespace aime::envs {
namespace {

EnvironmentOptions no_render() {
  EnvironmentOptions o;
  o.render = false;
  return o;
}

TEST(Cartpole, ConservesEnergyWithoutFrictionOrForce) {
  CartpoleParams p;
  p.cart_damping = 0.0;
  p.pole_damping = 0.0;
  p.rail_limit = 0.0;  // an endless rail: the ends' soft constraint dissipates
  Cartpole env(true, no_render(), p);
  env.set_state({0.3, 2.5, -0.4, 1.0});
  const double e0 = env.energy();
  for (int i = 0; i < 1000; ++i) env.control_step({0.0});
  EXPECT_NEAR(env.energy(), e0, 1e-6 * p.pole_mass * p.gravity * p.pole_half_length);
}

TEST(Cartpole, TheRailEndsHoldTheCartAndNeverPull) {
  Cartpole env(true, no_render());
  env.set_state({0.0, M_PI, 0.0, 0.0});
  double furthest = 0.0;
  for (int i = 0; i < 1000; ++i) {  // full force to the right for 10 s
    env.control_step({1.0});
    furthest = std::max(furthest, env.state()[0]);
  }
  EXPECT_GT(furthest, 1.8);   // soft: it penetrates a little
  EXPECT_LT(furthest, 2.0);  // hitting the end at ~5 m/s: about v tc / e
  EXPECT_GT(env.state()[0], 1.75);
  // Past the end and moving back in fast: the end does not hold it (a constraint only pushes).
  env.set_state({1.81, M_PI, -3.0, 0.0});
  env.control_step({0.0});
  EXPECT_LT(env.state()[2], -2.9);
  // Symmetric at the left end.
  env.set_state({0.0, M_PI, 0.0, 0.0});
  for (int i = 0; i < 1000; ++i) env.control_step({-1.0});
  EXPECT_LT(env.state()[0], -1.75);
  EXPECT_GT(env.state()[0], -1.9);
}

TEST(Cartpole, MomentumIsConservedWithoutForce) {
  // No external horizontal force: (M + m) x' + m l cos(theta) theta' stays constant.
  CartpoleParams p;
  p.cart_damping = 0.0;
  p.pole_damping = 0.0;
  p.rail_limit = 0.0;  // an endless rail: the ends' soft constraint dissipates
  Cartpole env(true, no_render(), p);
  env.set_state({0.0, 1.0, 0.2, -2.0});
  auto momentum = [&] {
    const auto s = env.state();
    return (p.cart_mass + p.pole_mass) * s[2] + p.pole_mass * p.pole_half_length * std::cos(s[1]) * s[3];
  };
  const double m0 = momentum();
  for (int i = 0; i < 500; ++i) env.control_step({0.0});
  EXPECT_NEAR(momentum(), m0, 1e-8);
}

TEST(Cartpole, ForcePushesTheCartAndIsClipped) {
  Cartpole a(false, no_render()), b(false, no_render());
  a.reset(1);
  b.reset(1);
  const double x0 = a.state()[0];
  a.step({3.0});
  b.step({1.0});
  EXPECT_EQ(a.state(), b.state());
  EXPECT_GT(a.state()[0], x0);
}

TEST(Cartpole, RewardIsOneUprightCentredAndStillAndSmallHanging) {
  Cartpole env(false, no_render());
  env.reset(0);
  env.set_state({0.0, 0.0, 0.0, 0.0});
  EXPECT_NEAR(env.step({0.0}).reward, 2.0, 1e-6);
  env.set_state({0.0, M_PI, 0.0, 0.0});
  EXPECT_LT(env.step({0.0}).reward, 0.01);
  // Sensors as DMC's: position [x, cos, sin], velocity [x', theta'].
  const Observation o = env.observe();
  EXPECT_EQ(o.sensor("position").size(), 3u);
  EXPECT_EQ(o.sensor("velocity").size(), 2u);
}

TEST(Cartpole, SwingUpStartsHangingAndBalanceNearUpright) {
  Cartpole swing(true, no_render()), balance(false, no_render());
  swing.reset(5);
  balance.reset(5);
  EXPECT_LT(std::cos(swing.state()[1]), -0.99);
  EXPECT_GT(std::cos(balance.state()[1]), 0.99);
}

}  // namespace
}  // namespace aime::envs
