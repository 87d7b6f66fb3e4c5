#include "algorithms/evaluation.h"

#include <gtest/gtest.h>

#include "autograd/aime.h"
#include "envs/collect.h"

namespace aime::algorithms {
namespace {

EvaluationOptions pendulum(std::int64_t episodes) {
  EvaluationOptions o;
  o.env = "pendulum-swingup";
  o.env_options.render = false;
  o.episodes = episodes;
  o.expert_return = 500.0;
  return o;
}

TEST(Evaluation, TheExpertBeatsRandomAndTheSameSeedGivesTheSameReturns) {
  auto env = envs::make_environment("pendulum-swingup");
  auto expert = envs::make_policy("expert", *env);
  auto random = envs::make_policy("random", *env);
  const EvaluationResult e = evaluate_policy(*expert, pendulum(3));
  const EvaluationResult r = evaluate_policy(*random, pendulum(3));
  ASSERT_EQ(e.returns.size(), 3u);
  EXPECT_GT(e.mean, 300.0);
  EXPECT_LT(r.mean, 50.0);
  EXPECT_NEAR(e.normalised_mean, 100.0 * e.mean / 500.0, 1e-9);
  EXPECT_EQ(evaluate_policy(*expert, pendulum(3)).returns, e.returns);
  EvaluationOptions other = pendulum(3);
  other.seed = 7;
  EXPECT_NE(evaluate_policy(*expert, other).returns, e.returns);
  other.episodes = 0;
  EXPECT_THROW(evaluate_policy(*expert, other), ValueError);
}

TEST(Evaluation, NormalisedReturnIsAPercentOfTheExpert) {
  EXPECT_DOUBLE_EQ(normalised_return(450.0, 900.0), 50.0);
  EXPECT_DOUBLE_EQ(normalised_return(450.0, 0.0), 0.0);
  double m = -1, sd = -1;
  mean_and_stddev({1.0, 3.0}, m, sd);
  EXPECT_DOUBLE_EQ(m, 2.0);
  EXPECT_DOUBLE_EQ(sd, 1.0);
  mean_and_stddev({}, m, sd);
  EXPECT_EQ(m, 0.0);
}

TEST(Evaluation, MeanEpisodeReturnSumsEachEpisodesRewards) {
  std::vector<data::Episode> eps(2);
  eps[0].set("reward", tensor({0, 1, 2}, {3, 1}, kFloat64));
  eps[1].set("reward", tensor({0, 5, 5}, {3, 1}, kFloat64));
  data::SequenceDatasetOptions o;
  o.horizon = 1;
  EXPECT_DOUBLE_EQ(mean_episode_return(data::SequenceDataset(eps, {"0.npz", "1.npz"}, o)), 6.5);
  std::vector<data::Episode> none(1);
  none[0].set("x", zeros({3, 1}));
  try {
    mean_episode_return(data::SequenceDataset(none, {"0.npz"}, o));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("0.npz"), std::string::npos) << e.what();
  }
}

TEST(Evaluation, ObservationBatchIsTheDatasetsLayout) {
  envs::Observation obs;
  obs.sensors = {{"velocity", {1.5}}, {"orientation", {0.25, -1.0}}};
  obs.image.resize(2 * 3 * 3);
  for (std::size_t i = 0; i < obs.image.size(); ++i) obs.image[i] = static_cast<std::uint8_t>(10 * i);  // HWC
  const auto batch = observation_batch(obs, {{"image", {3, 2, 3}}, {"orientation", {2}}});
  ASSERT_EQ(batch.at("image").shape(), (Shape{1, 1, 3, 2, 3}));
  ASSERT_EQ(batch.at("orientation").shape(), (Shape{1, 1, 2}));
  EXPECT_EQ(batch.count("velocity"), 0u);
  // CHW [c][y][x] = HWC [y][x][c] / 255
  EXPECT_FLOAT_EQ(batch.at("image").to_vector<float>()[1 * 6 + 1 * 3 + 2], 10.0f * ((1 * 3 + 2) * 3 + 1) / 255.0f);
  EXPECT_EQ(batch.at("orientation").to_vector<float>(), (std::vector<float>{0.25f, -1.0f}));
  EXPECT_THROW(observation_batch(obs, {{"orientation", {3}}}), ValueError);
  EXPECT_THROW(observation_batch(obs, {{"image", {3, 64, 64}}}), ValueError);
  EXPECT_THROW(observation_batch(obs, {{"height", {1}}}), ValueError);
}

}  // namespace
}  // namespace aime::algorithms
