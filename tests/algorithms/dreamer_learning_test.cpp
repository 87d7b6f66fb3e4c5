// A tiny Dreamer run improves its return: cartpole-balance with 100-step episodes, the
// laptop-sized agent at 40 epochs of 20 updates (about 25 s on one core). Its test return
// starts near a falling pole's (the untrained actor: about 70 of at most 200) and must end
// well above it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "algorithms/dreamer.h"
#include "autograd/parallel.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

std::vector<double> test_returns(const std::string& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // step,env_steps,test_return,test_return_std
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string step, steps, ret;
    std::getline(row, step, ',');
    std::getline(row, steps, ',');
    std::getline(row, ret, ',');
    out.push_back(std::stod(ret));
  }
  return out;
}

TEST(DreamerLearning, ATinyRunBalancesThePoleLongerThanItsUntrainedActor) {
  const std::string out = (fs::temp_directory_path() / ("aime_dreamer_learning_" + std::to_string(::getpid()))).string();
  fs::remove_all(out);
  set_num_threads(1);  // small networks: one thread is the fastest, and the same rounding on every machine
  DreamerTrainingOptions o;
  o.env = "cartpole-balance";
  o.env_options.episode_steps = 200;
  o.out_dir = out;
  o.seed = 42;
  o.prefill_episodes = 3;
  o.pretrain_updates = 50;
  o.epochs = 40;
  o.updates_per_epoch = 20;
  o.batch_size = 8;
  o.horizon = 16;
  o.eval_every = 2;
  o.eval_episodes = 3;
  o.exploration_noise = 0.3;
  o.dreamer.imagination_horizon = 10;
  o.dreamer.model_lr = 1e-3;
  o.dreamer.actor_lr = o.dreamer.value_lr = 3e-4;
  o.dreamer.actor_hidden_size = o.dreamer.value_hidden_size = 32;
  o.model_config = [](const std::vector<models::SensorSpec>& sensors, std::int64_t actions) {
    auto c = models::WorldModelConfig::original("rssmo", models::Setup::MDP, sensors, actions);
    c.rssmo.deterministic_size = 32;
    c.rssmo.stochastic_size = 8;
    c.rssmo.hidden_size = c.head_hidden_size = 32;
    return c;
  };
  train_dreamer(o);
  const auto returns = test_returns((fs::path(out) / "test.csv").string());
  ASSERT_EQ(returns.size(), 21u);  // epochs 0, 2, ..., 38 and the last
  double last = 0;
  for (std::size_t i = returns.size() - 5; i < returns.size(); ++i) last += returns[i] / 5.0;
  std::cout << "test return: untrained " << returns[0] << ", mean of the last five tests " << last << "\n";
  EXPECT_GT(last, 1.4 * returns[0]);
  EXPECT_GT(last, 100.0);
  fs::remove_all(out);
}

}  // namespace
}  // namespace aime::algorithms
