#include "algorithms/policy_actor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "algorithms/evaluation.h"
#include "autograd/api.h"

namespace aime::algorithms {
namespace {

models::WorldModelConfig tiny_config() {
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"orientation", {2}}, {"velocity", {1}}}, 1);
  c.rssm.deterministic_size = 8;
  c.rssm.stochastic_size = 4;
  c.rssm.hidden_size = 8;
  c.head_hidden_size = 8;
  return c;
}

envs::Observation obs(double angle, double velocity) {
  envs::Observation o;
  o.sensors = {{"orientation", {std::cos(angle), std::sin(angle)}}, {"velocity", {velocity}}};
  return o;
}

TEST(PolicyActor, FiltersWithTheExecutedActionAndActsWithTheMode) {
  Generator gen(0);
  models::WorldModel model(tiny_config(), gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  PolicyActor actor(model, policy);
  EXPECT_EQ(actor.name(), "aime");
  actor.reset(11);
  const std::vector<envs::Observation> episode{obs(0.1, 0.0), obs(0.3, 1.0), obs(0.2, -0.5)};
  std::vector<double> acted;
  for (const auto& o : episode) acted.push_back(actor.act(o).at(0));
  // By hand: s_t = q(h(s_{t-1}, a_{t-1}), e_t) with the same noise, a_t = tanh(mean).
  NoGradGuard no_grad;
  Generator noise(11);
  models::State state = model.ssm().initial_state(1);
  Tensor action = zeros({1, 1});
  for (std::size_t t = 0; t < episode.size(); ++t) {
    const Tensor e = model.embed(observation_batch(episode[t], model.config().inputs)).select(0, 0);
    state = model.ssm().posterior_step(e, action, state, noise).state;
    action = policy.forward(state.feature())->mode();
    EXPECT_NEAR(acted[t], action.item(), 1e-6) << "step " << t;
    EXPECT_LT(std::fabs(acted[t]), 1.0);
  }
  actor.reset(11);  // the same seed replays the same episode
  EXPECT_NEAR(actor.act(episode[0]).at(0), acted[0], 1e-7);
}

// A policy that reads [h, mean of q(z)] acts on the posterior's mean: by hand with the same
// noise (which still draws z for the next step's h), and unlike the sample-reading actor.
TEST(PolicyActor, ReadsThePosteriorsMeanWhenTrainedSo) {
  Generator gen(0);
  models::WorldModel model(tiny_config(), gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  PolicyActor actor(model, policy, "aime", true), sampling(model, policy, "aime", false);
  actor.reset(11);
  sampling.reset(11);
  const std::vector<envs::Observation> episode{obs(0.1, 0.0), obs(0.3, 1.0), obs(0.2, -0.5)};
  NoGradGuard no_grad;
  Generator noise(11);
  models::State state = model.ssm().initial_state(1);
  Tensor action = zeros({1, 1});
  double differ = 0.0;
  for (std::size_t t = 0; t < episode.size(); ++t) {
    const double acted = actor.act(episode[t]).at(0);
    const Tensor e = model.embed(observation_batch(episode[t], model.config().inputs)).select(0, 0);
    const auto step = model.ssm().posterior_step(e, action, state, noise);
    state = step.state;
    EXPECT_LT(max(abs(state.z_mean - step.posterior->mean())).item(), 1e-7) << "step " << t;
    action = policy.forward(cat({state.h, step.posterior->mean()}, -1))->mode();
    EXPECT_NEAR(acted, action.item(), 1e-6) << "step " << t;
    differ = std::max(differ, std::fabs(acted - sampling.act(episode[t]).at(0)));
  }
  EXPECT_GT(differ, 1e-4);
}

}  // namespace
}  // namespace aime::algorithms
