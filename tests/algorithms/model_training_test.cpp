#include "algorithms/model_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "algorithms/checkpoint.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "envs/collect.h"

#include "nn/serialize/safetensors.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

// Four short pendulum episodes without images (the mdp setup), 41 steps each.
data::SequenceDataset pendulum_dataset() {
  envs::EnvironmentOptions o;
  o.render = false;
  o.episode_steps = 80;
  auto env = envs::make_environment("pendulum-swingup", o);
  auto policy = envs::make_policy("random", *env);
  std::vector<data::Episode> episodes;
  for (std::uint64_t i = 0; i < 4; ++i) episodes.push_back(envs::collect_episode(*env, *policy, i));
  data::SequenceDatasetOptions d;
  d.horizon = 8;
  return data::SequenceDataset(std::move(episodes), {}, d);
}

models::WorldModelConfig tiny_config() {
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"orientation", {2}}, {"velocity", {1}}}, 1);
  c.rssm.deterministic_size = 16;
  c.rssm.stochastic_size = 4;
  c.rssm.hidden_size = 16;
  c.head_hidden_size = 16;
  return c;
}

std::vector<float> flat_parameters(const models::WorldModel& m) {
  std::vector<float> out;
  for (const auto& p : m.parameters())
    for (float v : p.to_vector<float>()) out.push_back(v);
  return out;
}

ModelTrainingOptions options(const fs::path& dir, std::int64_t epochs) {
  ModelTrainingOptions o;
  o.epochs = epochs;
  o.batches_per_epoch = 3;
  o.batch_size = 4;
  o.lr = 1e-3;
  o.seed = 5;
  o.checkpoint_every = 3;
  o.out_dir = dir.string();
  return o;
}

TEST(ModelTraining, ResumeAfterAStopGivesTheSameParametersAsAnUninterruptedRun) {
  const data::SequenceDataset ds = pendulum_dataset();
  const fs::path a = fs::temp_directory_path() / "aime_train_a", b = fs::temp_directory_path() / "aime_train_b";
  fs::remove_all(a);
  fs::remove_all(b);
  Generator g1(1);
  models::WorldModel straight(tiny_config(), g1);
  train_world_model(straight, ds, options(a, 2));  // 6 steps

  Generator g2(1);
  models::WorldModel first(tiny_config(), g2);
  train_world_model(first, ds, options(b, 1));  // 3 steps, checkpoint, "killed"
  Generator g3(123);                             // a fresh process: other initial weights
  models::WorldModel resumed(tiny_config(), g3);
  ModelTrainingOptions more = options(b, 2);
  more.resume = true;
  const StepMetrics last = train_world_model(resumed, ds, more);
  EXPECT_EQ(last.step, 6);
  EXPECT_EQ(flat_parameters(resumed), flat_parameters(straight));

  // The metrics file has one row per step, and the model folder loads back.
  std::ifstream metrics(b / "metrics.csv");
  std::string line;
  int rows = -1;  // header
  while (std::getline(metrics, line)) ++rows;
  EXPECT_EQ(rows, 6);
  const LoadedModel loaded = load_pretrained_model(b.string());
  EXPECT_EQ(flat_parameters(*loaded.model), flat_parameters(straight));
  EXPECT_EQ(loaded.metadata.at("train.step"), "6");
  fs::remove_all(a);
  fs::remove_all(b);
}

// dtype float64 (train-model --dtype float64, for numerical checks): the parameters, the
// batches and the checkpoint are float64, a resumed run is exact, and the numbers are not
// the float32 run's.
TEST(ModelTraining, Float64RunsTrainResumeAndDifferFromFloat32) {
  const data::SequenceDataset ds = pendulum_dataset();
  const fs::path a = fs::temp_directory_path() / "aime_train_f64_a", b = fs::temp_directory_path() / "aime_train_f64_b",
                 c = fs::temp_directory_path() / "aime_train_f64_c";
  for (const auto& d : {a, b, c}) fs::remove_all(d);
  auto f64 = [](const fs::path& dir, std::int64_t epochs) {
    ModelTrainingOptions o = options(dir, epochs);
    o.dtype = kFloat64;
    return o;
  };
  Generator g1(1);
  models::WorldModel straight(tiny_config(), g1);
  train_world_model(straight, ds, f64(a, 2));
  for (const auto& p : straight.parameters()) ASSERT_EQ(p.dtype(), kFloat64);
  Generator g2(1);
  models::WorldModel first(tiny_config(), g2);
  train_world_model(first, ds, f64(b, 1));
  Generator g3(9);
  models::WorldModel resumed(tiny_config(), g3);
  ModelTrainingOptions more = f64(b, 2);
  more.resume = true;
  train_world_model(resumed, ds, more);
  std::vector<double> x, y;
  for (const auto& p : straight.parameters())
    for (double v : p.to_vector<double>()) x.push_back(v);
  for (const auto& p : resumed.parameters())
    for (double v : p.to_vector<double>()) y.push_back(v);
  EXPECT_EQ(x, y);
  EXPECT_EQ(nn::load_safetensors((b / "model.safetensors").string()).tensors.begin()->second.dtype(), kFloat64);
  Generator g4(1);
  models::WorldModel single(tiny_config(), g4);
  train_world_model(single, ds, options(c, 2));
  std::vector<double> z;
  for (const auto& p : single.parameters())
    for (double v : p.to_vector<double>()) z.push_back(v);
  ASSERT_EQ(x.size(), z.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - z[i]));
  EXPECT_GT(worst, 0.0);   // another dtype, other rounding
  EXPECT_LT(worst, 1e-2);  // the same run otherwise
  ModelTrainingOptions bad = options(c, 1);
  bad.dtype = kInt64;
  EXPECT_THROW(train_world_model(single, ds, bad), ValueError);
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

// One checkpoint is one pair. A kill after the optimiser's file but before the model's
// leaves the old pair (the newer optimiser is dropped); a kill after the model's but before
// the optimiser's rename leaves the new pair (the rename is finished); either way the resumed
// run ends where the uninterrupted one does. A pair that disagrees is refused, a finished run
// says so, and metadata that is not a step names the file and the key.
TEST(ModelTraining, AKillBetweenTheTwoCheckpointFilesLeavesOnePair) {
  const data::SequenceDataset ds = pendulum_dataset();
  const fs::path root = fs::temp_directory_path() / ("aime_train_pairs_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto train = [&](const fs::path& dir, std::int64_t epochs, bool resume) {
    Generator g(resume ? 99 : 1);
    auto model = std::make_unique<models::WorldModel>(tiny_config(), g);
    ModelTrainingOptions o = options(dir, epochs);
    o.resume = resume;
    const StepMetrics last = train_world_model(*model, ds, o);
    return std::make_pair(last, flat_parameters(*model));
  };
  const auto reference = train(root / "straight", 3, false).second;  // 9 steps
  train(root / "at3", 1, false);                                     // checkpoint of step 3
  train(root / "at6", 2, false);                                     // checkpoint of step 6
  const auto copy = [&](const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from)) fs::copy_file(e.path(), to / e.path().filename());
  };
  EXPECT_FALSE(fs::exists(root / "at6" / "optimizer.next.safetensors"));
  // (a) killed after writing step 6's optimiser, before its model.
  copy(root / "at3", root / "a");
  fs::copy_file(root / "at6" / "optimizer.safetensors", root / "a" / "optimizer.next.safetensors");
  EXPECT_EQ(train(root / "a", 3, true).second, reference);
  EXPECT_FALSE(fs::exists(root / "a" / "optimizer.next.safetensors"));
  // (b) killed after writing step 6's model, before the optimiser's rename.
  copy(root / "at6", root / "b");
  fs::copy_file(root / "at3" / "optimizer.safetensors", root / "b" / "optimizer.safetensors", fs::copy_options::overwrite_existing);
  fs::copy_file(root / "at6" / "optimizer.safetensors", root / "b" / "optimizer.next.safetensors");
  EXPECT_EQ(train(root / "b", 3, true).second, reference);
  // (c) a pair that disagrees, with nothing pending: refused, naming both files' steps.
  copy(root / "at6", root / "c");
  fs::copy_file(root / "at3" / "optimizer.safetensors", root / "c" / "optimizer.safetensors", fs::copy_options::overwrite_existing);
  try {
    train(root / "c", 3, true);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(step 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.safetensors (step 6"), std::string::npos) << e.what();
  }
  // A finished run: the step it reached, no values, nothing written.
  const auto before = fs::last_write_time(root / "at6" / "model.safetensors");
  const auto [finished, params] = train(root / "at6", 2, true);
  EXPECT_EQ(finished.step, 6);
  EXPECT_TRUE(finished.values.empty());
  EXPECT_EQ(fs::last_write_time(root / "at6" / "model.safetensors"), before);
  // Metadata that is not a number names the file and the key.
  copy(root / "at6", root / "d");
  nn::SafetensorsFile file = nn::load_safetensors((root / "d" / "model.safetensors").string());
  file.metadata["train.step"] = "true";
  nn::save_safetensors((root / "d" / "model.safetensors").string(), file.tensors, file.metadata);
  try {
    train(root / "d", 3, true);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find((root / "d" / "model.safetensors").string() + ": metadata 'train.step'"),
              std::string::npos) << e.what();
  }
  fs::remove_all(root);
}

// A NaN in the data makes the loss NaN: the run stops at that step with a report of the
// terms, and the checkpoint already on disk is left as it was.
TEST(ModelTraining, ANonFiniteLossStopsTheRunAndKeepsTheCheckpoint) {
  const fs::path dir = fs::temp_directory_path() / ("aime_train_nan_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const data::SequenceDataset clean = pendulum_dataset();
  Generator g1(1);
  models::WorldModel model(tiny_config(), g1);
  train_world_model(model, clean, options(dir, 1));  // checkpoint of step 3
  const std::string before = [&] {
    std::ifstream in(dir / "model.safetensors", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::vector<data::Episode> episodes;
  for (std::int64_t i = 0; i < clean.num_episodes(); ++i) {
    data::Episode e = clean.episode(i);
    Tensor v = e.at("velocity").data.clone();
    v.data<double>()[3] = std::nan("");
    e.set("velocity", v);
    episodes.push_back(e);
  }
  data::SequenceDatasetOptions allow = clean.options();
  EXPECT_THROW(data::SequenceDataset(episodes, {}, allow), ValueError);  // refused at load by default
  allow.allow_non_finite = true;
  const data::SequenceDataset poisoned(std::move(episodes), {}, allow);
  Generator g2(2);
  models::WorldModel resumed(tiny_config(), g2);
  ModelTrainingOptions o = options(dir, 2);
  o.resume = true;
  try {
    train_world_model(resumed, poisoned, o);
    ADD_FAILURE() << "no error";
  } catch (const NonFiniteError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("step 4: the loss is"), std::string::npos) << msg;
    EXPECT_NE(msg.find("rec/velocity"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the checkpoint of step 3 is intact"), std::string::npos) << msg;
  }
  std::ifstream in(dir / "model.safetensors", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), before);
  fs::remove_all(dir);
}

TEST(ModelTraining, LossFallsAndMetricsAreLogged) {
  const data::SequenceDataset ds = pendulum_dataset();
  const fs::path dir = fs::temp_directory_path() / "aime_train_loss";
  fs::remove_all(dir);
  Generator g(2);
  models::WorldModel model(tiny_config(), g);
  ModelTrainingOptions o = options(dir, 20);  // 60 steps
  o.lr = 3e-3;
  o.metrics_format = "jsonl";
  std::vector<double> losses;
  train_world_model(model, ds, o, [&](const StepMetrics& m, std::int64_t total) {
    EXPECT_EQ(total, 60);
    losses.push_back(m.values.at("loss"));
    EXPECT_TRUE(m.values.count("rec/orientation") && m.values.count("mse/velocity") && m.values.count("grad_norm"));
  });
  ASSERT_EQ(losses.size(), 60u);
  const double early = (losses[0] + losses[1] + losses[2]) / 3, late = (losses[57] + losses[58] + losses[59]) / 3;
  EXPECT_LT(late, early);
  std::ifstream metrics(dir / "metrics.jsonl");
  std::string first;
  std::getline(metrics, first);
  EXPECT_EQ(first.rfind("{\"step\":1,", 0), 0u) << first;
  fs::remove_all(dir);
}

TEST(ModelTraining, BadOptionsAndFoldersFailClearly) {
  const data::SequenceDataset ds = pendulum_dataset();
  Generator g(3);
  models::WorldModel model(tiny_config(), g);
  ModelTrainingOptions o = options("", 1);
  EXPECT_THROW(train_world_model(model, ds, o), ValueError);
  EXPECT_THROW(load_pretrained_model("/nonexistent/model"), Error);
}

}  // namespace
}  // namespace aime::algorithms
