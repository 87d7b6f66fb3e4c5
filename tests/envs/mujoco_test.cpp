// The MuJoCo embodiments (walker, cheetah). Skipped, with the reason, in a build without
// libmujoco-dev (-DAIME_MUJOCO=OFF or the library missing).
#include <gtest/gtest.h>

#include <tuple>

#include <cmath>
#include <set>

#include "autograd/error.h"
#include "envs/environment.h"
#include "envs/policy.h"
#if defined(AIME_WITH_MUJOCO)
#include "envs/mujoco/cheetah.h"
#include "envs/mujoco/walker.h"
#endif

namespace aime::envs {
namespace {

#if !defined(AIME_WITH_MUJOCO)
TEST(Mujoco, EnvironmentsNeedTheLibraryAndSaySo) {
  try {
    make_environment("walker-walk");
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("libmujoco-dev"), std::string::npos) << e.what();
  }
  GTEST_SKIP() << "built without MuJoCo (apt-get install libmujoco-dev, -DAIME_MUJOCO=ON)";
}
#else

EnvironmentOptions no_render() {
  EnvironmentOptions o;
  o.render = false;
  return o;
}

TEST(Mujoco, EveryTaskLoadsWithTheOriginalsSensorsAndSixActions) {
  for (const auto& name : environment_names()) {
    if (name.rfind("walker-", 0) != 0 && name.rfind("cheetah-", 0) != 0) continue;
    SCOPED_TRACE(name);
    auto env = make_environment(name);
    EXPECT_EQ(env->name(), name);
    EXPECT_EQ(env->action_dim(), 6);
    EXPECT_EQ(env->agent_steps(), 500);
    const Observation obs = env->reset(0);
    EXPECT_EQ(obs.image.size(), 64u * 64u * 3u);
    if (name.rfind("walker-", 0) == 0) {
      ASSERT_EQ(obs.sensors.size(), 3u);
      EXPECT_EQ(obs.sensors[0].first, "orientations");
      EXPECT_EQ(obs.sensors[0].second.size(), 14u);
      EXPECT_EQ(obs.sensors[1].first, "height");
      EXPECT_EQ(obs.sensors[1].second.size(), 1u);
      EXPECT_EQ(obs.sensors[2].first, "velocity");
      EXPECT_EQ(obs.sensors[2].second.size(), 9u);
    } else {
      ASSERT_EQ(obs.sensors.size(), 2u);
      EXPECT_EQ(obs.sensors[0].first, "position");
      EXPECT_EQ(obs.sensors[0].second.size(), 8u);
      EXPECT_EQ(obs.sensors[1].first, "velocity");
      EXPECT_EQ(obs.sensors[1].second.size(), 9u);
    }
  }
  EXPECT_THROW(make_environment("walker-dance"), ValueError);
  EXPECT_THROW(make_environment("cheetah-walk"), ValueError);
}

TEST(Mujoco, TimestepsMatchDeepMindControl) {
  Walker walker("stand", no_render());
  EXPECT_DOUBLE_EQ(walker.physics_timestep(), 0.0025);
  EXPECT_DOUBLE_EQ(walker.control_timestep(), 0.025);
  Cheetah cheetah("run", no_render());
  EXPECT_DOUBLE_EQ(cheetah.control_timestep(), 0.01);
}

TEST(Mujoco, TheCheetahsCompiledFiguresAreDeepMindControls) {
  // dm_control 1.0.10's cheetah.xml compiled by MuJoCo (docs/dmc.md): the five figures this
  // project once had wrong, and the rest of the joints and gears.
  Cheetah cheetah("run", no_render());
  const double deg = M_PI / 180.0;
  const std::vector<std::tuple<const char*, double, double>> ranges = {
      {"bthigh", -30, 60}, {"bshin", -50, 50}, {"bfoot", -230, 50},
      {"fthigh", -57, 0.40}, {"fshin", -70, 50}, {"ffoot", -28, 28}};
  for (const auto& [joint, lo, hi] : ranges) {
    const std::vector<double> r = cheetah.joint_range(joint);
    EXPECT_NEAR(r[0], lo * deg, 1e-12) << joint;
    EXPECT_NEAR(r[1], hi * deg, 1e-12) << joint;
  }
  const std::vector<std::pair<const char*, double>> gears = {{"bthigh", 120}, {"bshin", 90}, {"bfoot", 60},
                                                             {"fthigh", 90},  {"fshin", 60}, {"ffoot", 30}};
  for (const auto& [motor, gear] : gears) EXPECT_EQ(cheetah.actuator_gear(motor), gear) << motor;
  const std::vector<std::pair<const char*, std::vector<double>>> quats = {
      {"bfoot", {0.99144, 0, -0.13053, 0}}, {"fthigh", {0.96593, 0, 0.25882, 0}},
      {"fshin", {0.9563, 0, -0.29237, 0}},  {"ffoot", {0.9563, 0, -0.29237, 0}}};
  for (const auto& [geom, q] : quats) {
    const std::vector<double> got = cheetah.geom_quat(geom);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], q[i], 1e-4) << geom << "[" << i << "]";
  }
}

TEST(Mujoco, TheCheetahSettlesAsDeepMindControlResetsIt) {
  // 200 zero-control steps after the random joints: reproducible per seed (bit for bit),
  // different seeds different poses, and the joints inside DMC's ranges.
  Cheetah a("run", no_render()), b("run", no_render());
  a.reset(3);
  b.reset(3);
  EXPECT_EQ(a.state(), b.state());
  const std::vector<double> s = a.state();
  const std::vector<double> bfoot = a.joint_range("bfoot");
  EXPECT_GE(s[5], bfoot[0] - 0.05);  // qpos: rootx, rootz, rooty, bthigh, bshin, bfoot, ...
  EXPECT_LE(s[5], bfoot[1] + 0.05);
  b.reset(4);
  EXPECT_NE(a.state(), b.state());
}

TEST(Mujoco, AZeroActionWalkerFallsAndItsStandRewardDrops) {
  Walker walker("stand", no_render());
  walker.reset(0);
  // Start upright at full height: the stand reward is near 1 ...
  std::vector<double> s = walker.state();
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = 0.0;
  walker.set_state(s);
  EXPECT_GT(walker.stand_reward(), 0.95);
  EXPECT_NEAR(walker.torso_height(), 1.3, 1e-9);
  // ... with no torque the legs fold and the walker falls.
  for (int t = 0; t < 200; ++t) walker.control_step(std::vector<double>(6, 0.0));
  EXPECT_LT(walker.torso_height(), 0.9);
  EXPECT_LT(walker.stand_reward(), 0.7);
}

TEST(Mujoco, AFixedTorquePatternMovesTheCheetah) {
  Cheetah cheetah("run", no_render());
  cheetah.reset(1);
  const double x0 = cheetah.state()[0];
  // A 3 Hz sine on the back leg's motors, the front leg's a quarter period later: a gallop
  // of sorts that carries the cheetah metres in 4 s; zero torque leaves it where it settled.
  for (int t = 0; t < 400; ++t) {
    const double b = std::sin(2 * M_PI * 3.0 * t * 0.01), f = std::sin(2 * M_PI * 3.0 * t * 0.01 + M_PI / 2);
    cheetah.control_step({b, b, b, f, f, f});
  }
  EXPECT_GT(std::fabs(cheetah.state()[0] - x0), 1.0) << "the cheetah did not move";
  Cheetah still("run", no_render());
  still.reset(1);
  const double s0 = still.state()[0];
  for (int t = 0; t < 400; ++t) still.control_step(std::vector<double>(6, 0.0));
  EXPECT_LT(std::fabs(still.state()[0] - s0), 0.2);
}

TEST(Mujoco, RewardsStayInTheUnitIntervalUnderRandomActions) {
  for (const auto& name : environment_names()) {
    if (name.rfind("walker-", 0) != 0 && name.rfind("cheetah-", 0) != 0) continue;
    SCOPED_TRACE(name);
    auto env = make_environment(name, no_render());
    env->reset(3);
    std::uint64_t x = 88172645463325252ull;
    for (int t = 0; t < 100; ++t) {
      std::vector<double> a(6);
      for (double& v : a) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (x % 2001) / 1000.0 - 1.0;
      }
      const StepResult r = env->step(a);
      EXPECT_GE(r.reward, 0.0);
      EXPECT_LE(r.reward, env->options().action_repeat + 1e-12);
      for (const auto& [sensor, values] : r.observation.sensors)
        for (double v : values) ASSERT_TRUE(std::isfinite(v)) << sensor;
    }
  }
}

TEST(Mujoco, ResetIsReproducibleFromTheSeedAndRandomisesTheJoints) {
  Walker a("walk", no_render()), b("walk", no_render());
  a.reset(7);
  b.reset(7);
  EXPECT_EQ(a.state(), b.state());
  b.reset(8);
  EXPECT_NE(a.state(), b.state());
  // The hinge joints start inside their ranges (hips -20..100 degrees).
  const std::vector<double> s = a.state();
  EXPECT_GE(s[3], -20.0 * M_PI / 180.0 - 1e-9);
  EXPECT_LE(s[3], 100.0 * M_PI / 180.0 + 1e-9);
}

// The frame shows the body: pixels in the body's colour (orange-brown, red above blue) on
// the blue-grey floor and sky, and the body moves in the image when the walker falls.
TEST(Mujoco, RenderingShowsTheBody) {
  for (const char* name : {"walker-stand", "cheetah-run"}) {
    SCOPED_TRACE(name);
    auto env = make_environment(name);
    const Observation obs = env->reset(0);
    int body_pixels = 0;
    for (std::size_t i = 0; i < obs.image.size(); i += 3)
      if (obs.image[i] > obs.image[i + 2] + 40) ++body_pixels;
    EXPECT_GT(body_pixels, 30) << "too few body-coloured pixels";
    EXPECT_LT(body_pixels, 64 * 64 / 2);
  }
}

TEST(Mujoco, MixCollectsRandomAndGaitEpisodesWithoutAnExpert) {
  auto env = make_environment("cheetah-run", no_render());
  EXPECT_THROW(make_policy("expert", *env), ValueError);
  auto mix = make_policy("mix", *env);
  std::set<std::string> seen;
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    mix->reset(seed);
    Observation obs = env->reset(seed);
    for (int t = 0; t < 5; ++t) {
      const std::vector<double> a = mix->act(obs);
      ASSERT_EQ(a.size(), 6u);
      for (double v : a) ASSERT_LE(std::fabs(v), 1.0);
      obs = env->step(a).observation;
    }
    seen.insert(mix->name());
  }
  EXPECT_GE(seen.size(), 3u) << "the mix should use random, gait and noisy gait episodes";
  // A gait is a sine: after one period (1 / f) the action repeats.
  GaitPolicy gait(6, 0.05, 2.0, 2.0);  // 2 Hz at 50 ms per step: 10 steps per period
  gait.reset(3);
  std::vector<std::vector<double>> actions;
  for (int t = 0; t < 11; ++t) actions.push_back(gait.act(Observation{}));
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(actions[10][i], actions[0][i], 1e-9);
}

#endif

}  // namespace
}  // namespace aime::envs
