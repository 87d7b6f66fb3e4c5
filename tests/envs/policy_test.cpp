#include "envs/policy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/error.h"

#include "envs/collect.h"
#include "envs/experts.h"

namespace aime::envs {
namespace {

double mean_return(const std::string& env_name, const std::string& kind, int episodes) {
  EnvironmentOptions o;
  o.render = false;
  auto env = make_environment(env_name, o);
  auto policy = make_policy(kind, *env);
  double total = 0;
  for (int i = 0; i < episodes; ++i) {
    double r = 0;
    collect_episode(*env, *policy, 1000 + static_cast<std::uint64_t>(i), &r);
    total += r;
  }
  return total / episodes;
}

// Returns out of 1000 (500 agent steps x 2 control steps x at most 1).
TEST(Experts, FarAboveRandomOnEveryTask) {
  EXPECT_GT(mean_return("pendulum-swingup", "expert", 3), 600);
  EXPECT_LT(mean_return("pendulum-swingup", "random", 3), 100);
  EXPECT_GT(mean_return("cartpole-swingup", "expert", 3), 750);
  EXPECT_LT(mean_return("cartpole-swingup", "random", 3), 100);
  EXPECT_GT(mean_return("cartpole-balance", "expert", 3), 990);
  EXPECT_LT(mean_return("cartpole-balance", "random", 3), 500);
}

TEST(Policies, ActionsStayInBoundsAndAreSeeded) {
  EnvironmentOptions o;
  o.render = false;
  auto env = make_environment("cartpole-swingup", o);
  for (const char* kind : {"random", "noisy", "mix", "expert"}) {
    auto a = make_policy(kind, *env), b = make_policy(kind, *env);
    a->reset(3);
    b->reset(3);
    Observation obs = env->reset(1);
    for (int t = 0; t < 50; ++t) {
      const auto u = a->act(obs);
      EXPECT_EQ(u, b->act(obs)) << kind;
      EXPECT_LE(std::fabs(u[0]), 1.0) << kind;
      obs = env->step(u).observation;
    }
  }
  EXPECT_THROW(make_policy("sac", *env), ValueError);
}

TEST(Experts, LqrGainStabilisesTheLinearisedPendulum) {
  EnvironmentOptions o;
  o.render = false;
  Pendulum model(o);
  const auto k = lqr_gain(model, {0.0, 0.0}, {10.0, 1.0}, 1.0);
  ASSERT_EQ(k.size(), 2u);
  EXPECT_GT(k[0], 0.0);  // pushes back against a positive tilt
  // From a small tilt, the closed loop returns to the top.
  model.set_state({0.1, 0.0});
  for (int i = 0; i < 300; ++i) model.control_step({-(k[0] * model.state()[0] + k[1] * model.state()[1])});
  EXPECT_LT(std::fabs(model.state()[0]), 1e-3);
}

}  // namespace
}  // namespace aime::envs
