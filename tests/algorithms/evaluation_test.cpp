#include "algorithms/evaluation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "autograd/api.h"
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

TEST(Evaluation, RecordGivesBackTheReturnsOnlyForTheSameEpisodes) {
  const std::string path = (std::filesystem::temp_directory_path() / "aime_evaluation_record.csv").string();
  std::filesystem::remove(path);
  const EvaluationOptions o = pendulum(3);
  EXPECT_FALSE(read_evaluation_record(path, o).has_value());  // no file: roll it
  const EvaluationResult r = summarise_returns({12.5, 0.1 + 0.2, 840.0}, o.expert_return);
  write_evaluation_record(path, o, r);
  const auto back = read_evaluation_record(path, o);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, r.returns);  // bit for bit: 17 digits
  const EvaluationResult again = summarise_returns(*back, o.expert_return);
  EXPECT_DOUBLE_EQ(again.normalised_mean, r.normalised_mean);
  // Any setting that changes the episodes makes the record another evaluation's.
  EvaluationOptions other = o;
  other.seed = 143;
  EXPECT_FALSE(read_evaluation_record(path, other).has_value());
  other = o;
  other.episodes = 2;
  EXPECT_FALSE(read_evaluation_record(path, other).has_value());
  other = o;
  other.env_options.episode_steps = 500;
  EXPECT_FALSE(read_evaluation_record(path, other).has_value());
  other = o;
  other.env_options.action_repeat = 4;
  EXPECT_FALSE(read_evaluation_record(path, other).has_value());
  other = o;
  other.env = "cartpole-swingup";
  EXPECT_FALSE(read_evaluation_record(path, other).has_value());
  // The expert return is not a setting of the episodes: it only rescales.
  other = o;
  other.expert_return = 1000.0;
  EXPECT_TRUE(read_evaluation_record(path, other).has_value());
  EXPECT_THROW(write_evaluation_record(path, pendulum(2), r), ValueError);  // 3 returns for 2 episodes
  // Malformed files are errors, not silently another evaluation.
  auto expect_error = [&](const std::string& text, const std::string& fragment) {
    { std::ofstream(path) << text; }
    try {
      read_evaluation_record(path, o);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  const std::string header = "env,seed,episodes,episode_steps,action_repeat,episode,return\n";
  expect_error("step,return\n", "line 1");
  expect_error(header + "pendulum-swingup,142,3,1000,2,0,abc\n", "line 2");
  expect_error(header + "pendulum-swingup,142,3,1000,2,1,5\n", "expected episode 0");
  expect_error(header + "pendulum-swingup,142,3,1000,2,0,5\n", "expected 3 episodes, found 1");
  expect_error(header + "garbage\n", "expected 7 fields");
  std::filesystem::remove(path);
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
  EXPECT_FALSE(batch.contains("velocity"));
  // CHW [c][y][x] = HWC [y][x][c] / 255
  EXPECT_FLOAT_EQ(batch.at("image").to_vector<float>()[1 * 6 + 1 * 3 + 2], 10.0f * ((1 * 3 + 2) * 3 + 1) / 255.0f);
  EXPECT_EQ(batch.at("orientation").to_vector<float>(), (std::vector<float>{0.25f, -1.0f}));
  EXPECT_THROW(observation_batch(obs, {{"orientation", {3}}}), ValueError);
  EXPECT_THROW(observation_batch(obs, {{"image", {3, 64, 64}}}), ValueError);
  EXPECT_THROW(observation_batch(obs, {{"height", {1}}}), ValueError);
}

// Evaluation renders the frames a policy reads: the size of its image sensor (32x32 for
// aime's small cnn_ha variant), or the default when it reads none; an environment that
// renders another size is refused by name, not read as garbage.
TEST(Evaluation, FramesAreRenderedAtThePolicysImageSize) {
  EXPECT_EQ(frame_size_for({{"image", {3, 32, 32}}, {"velocity", {2}}}), 32);
  EXPECT_EQ(frame_size_for({{"velocity", {2}}, {"image", {9, 64, 64}}}), 64);
  EXPECT_EQ(frame_size_for({{"velocity", {2}}}), envs::EnvironmentOptions{}.image_size);
  envs::EnvironmentOptions small;
  small.image_size = static_cast<int>(frame_size_for({{"image", {3, 32, 32}}}));
  auto env = envs::make_environment("cartpole-swingup", small);
  const envs::Observation obs = env->reset(3);
  EXPECT_EQ(observation_batch(obs, {{"image", {3, 32, 32}}}).at("image").shape(), (Shape{1, 1, 3, 32, 32}));
  try {
    observation_batch(obs, {{"image", {3, 64, 64}}});
    FAIL() << "a 32x32 frame was read as 64x64";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("another image size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aime::algorithms
