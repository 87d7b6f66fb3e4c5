#include "envs/pendulum.h"

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

TEST(Pendulum, ConservesEnergyWithoutFrictionOrTorque) {
  PendulumParams p;
  p.damping = 0.0;
  Pendulum env(no_render(), p);
  env.reset(0);
  env.set_state({2.0, 1.5});
  const double e0 = env.energy();
  for (int i = 0; i < 1000; ++i) env.control_step({0.0});
  // Relative to the energy scale m g l = 4.905 J, over 20 s.
  EXPECT_NEAR(env.energy(), e0, 1e-6 * p.mass * p.gravity * p.length);
}

TEST(Pendulum, SmallAnglePeriodIsTwoPiSqrtLOverG) {
  PendulumParams p;
  p.damping = 0.0;
  p.substeps = 20;  // finer steps to time the zero crossings precisely
  Pendulum env(no_render(), p);
  env.set_state({M_PI - 0.01, 0.0});  // hanging, 0.01 rad off
  // Time between sign changes of the swing angle (theta - pi, wrapped), interpolated.
  double t = 0.0, previous = std::remainder(env.state()[0] - M_PI, 2 * M_PI);
  std::vector<double> crossings;
  while (crossings.size() < 5 && t < 20.0) {
    env.control_step({0.0});
    t += p.control_dt;
    const double now = std::remainder(env.state()[0] - M_PI, 2 * M_PI);
    if ((previous < 0) != (now < 0)) crossings.push_back(t - p.control_dt * now / (now - previous));
    previous = now;
  }
  ASSERT_EQ(crossings.size(), 5u);
  const double period = (crossings[4] - crossings[0]) / 2.0;
  EXPECT_NEAR(period, 2 * M_PI * std::sqrt(p.length / p.gravity), 1e-3);
}

TEST(Pendulum, ActionsAreClippedAndValidated) {
  Pendulum a(no_render()), b(no_render());
  a.reset(3);
  b.reset(3);
  a.step({5.0});
  b.step({1.0});
  EXPECT_EQ(a.state(), b.state());
  EXPECT_THROW(a.step({NAN}), ValueError);
  EXPECT_THROW(a.step({0.1, 0.2}), ValueError);
  Pendulum fresh(no_render());
  EXPECT_THROW(fresh.step({0.0}), ValueError);  // before reset
}

TEST(Pendulum, RewardAndSensorsFollowDMC) {
  Pendulum env(no_render());
  env.reset(1);
  env.set_state({0.05, 0.0});  // within 8 degrees of upright
  StepResult r = env.step({0.0});
  EXPECT_EQ(r.reward, 2.0);  // 1 per control step, 2 control steps per agent step
  EXPECT_EQ(r.observation.sensors[0].first, "orientation");
  EXPECT_NEAR(r.observation.sensor("orientation")[0], std::cos(env.state()[0]), 1e-15);
  env.set_state({M_PI, 0.0});
  EXPECT_EQ(env.step({0.0}).reward, 0.0);
}

TEST(Pendulum, EpisodesLast500AgentStepsAndResetsAreSeeded) {
  Pendulum env(no_render());
  const Observation o1 = env.reset(7);
  std::int64_t steps = 0;
  while (!env.step({0.0}).done) ++steps;
  EXPECT_EQ(steps + 1, 500);
  EXPECT_EQ(env.agent_steps(), 500);
  EXPECT_THROW(env.step({0.0}), ValueError);  // after the end
  EXPECT_EQ(env.reset(7).sensors, o1.sensors);
  EXPECT_NE(env.reset(8).sensors, o1.sensors);
}

}  // namespace
}  // namespace aime::envs
