// `aime train-agent`: a short Dreamer run from the command line, its policy acting through
// `aime collect --policy`, and a run killed with SIGKILL and resumed, which must end with the
// bytes of the uninterrupted run.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/apps/run_aime.h"

namespace {

namespace fs = std::filesystem;
using aime::app::testing::run_aime;

using aime::app::testing::read_bytes;

std::string tiny_run(const fs::path& out, int epochs) {
  return "train-agent --env pendulum-swingup --episode-steps 100 --world-model rssm --state-size 16,4 --hidden-size 16 "
         "--actor-hidden-size 16 --value-hidden-size 16 --batch-size 4 --horizon 10 --imagination-horizon 5 "
         "--prefill-episodes 2 --pretrain-updates 2 --updates-per-epoch 3 --eval-every 2 --seed 3 --epochs " +
         std::to_string(epochs) + " --out " + out.string();
}

TEST(TrainAgent, RunsAndItsPolicyCollectsADataset) {
  const fs::path root = fs::temp_directory_path() / ("aime_agent_cli_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto [status, out] = run_aime(tiny_run(root / "run", 3));
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("epoch 3/3: train return"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(root / "run" / "train_trajectories" / "4.npz"));
  // The run folder as a policy (its policy/), acting by its mode: an expert-dataset maker.
  std::tie(status, out) = run_aime("collect --env pendulum-swingup --episode-steps 100 --episodes 2 --policy " +
                                   (root / "run").string() + " --out " + (root / "expert").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(fs::exists(root / "expert" / "1.npz"));
  // Usage errors name what is wrong.
  std::tie(status, out) = run_aime(tiny_run(root / "other", 1) + " --algo ppo");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--algo"), std::string::npos) << out;
  std::string other_seed = tiny_run(root / "run", 4) + " --resume";
  other_seed.replace(other_seed.find("--seed 3"), 8, "--seed 4");
  std::tie(status, out) = run_aime(other_seed);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("train.seed"), std::string::npos) << out;
  fs::remove_all(root);
}

// --encoder-hidden-size sets the MLP over the vector sensors, so the embedding that
// Plan2Explore's heads predict: 12 wide here, where RSSMO's default is 512.
TEST(TrainAgent, EncoderWidthSetsTheEmbeddingThePlan2ExploreHeadsPredict) {
  const fs::path root = fs::temp_directory_path() / ("aime_agent_encoder_" + std::to_string(::getpid()));
  fs::remove_all(root);
  std::string args = tiny_run(root / "run", 2) + " --algo plan2explore --ensemble-size 2 --ensemble-hidden-size 8 "
                     "--encoder-hidden-size 12";
  args.replace(args.find("--world-model rssm"), 18, "--world-model rssmo");
  auto [status, out] = run_aime(args);
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run_aime("checkpoint info " + (root / "run" / "model" / "model.safetensors").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("world_model.vector_encoder_hidden_size: 12"), std::string::npos) << out;
  const auto row = out.find("encoder.tabular.3.weight");  // the second layer: [12, 12]
  ASSERT_NE(row, std::string::npos) << out;
  EXPECT_NE(out.substr(row, out.find('\n', row) - row).find("[12, 12]"), std::string::npos) << out;
  std::tie(status, out) = run_aime(tiny_run(root / "bad", 1) + " --encoder-hidden-size 0");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--encoder-hidden-size must be >= 1"), std::string::npos) << out;
  fs::remove_all(root);
}

// From pixels (--setup visual): the agent's model encodes the rendered image, and the
// training episodes (the buffer dataset) carry it beside the sensors, as the original's.
TEST(TrainAgent, LearnsFromPixelsAndItsBufferCarriesTheImages) {
  const fs::path root = fs::temp_directory_path() / ("aime_agent_visual_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto [status, out] = run_aime(tiny_run(root / "run", 2) + " --setup visual --cnn-width 2");
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run_aime("dataset info " + (root / "run" / "train_trajectories").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("image        [64, 64, 3]       uint8"), std::string::npos) << out;
  std::tie(status, out) = run_aime("checkpoint info " + (root / "run" / "model" / "model.safetensors").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("train.setup: visual"), std::string::npos) << out;
  EXPECT_NE(out.find("encoder.image."), std::string::npos) << out;
  // Its policy acts from pixels in `aime collect`, which renders for it.
  std::tie(status, out) = run_aime("collect --env pendulum-swingup --episode-steps 100 --episodes 1 --policy " +
                                   (root / "run").string() + " --out " + (root / "expert").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(fs::exists(root / "expert" / "0.npz"));
  fs::remove_all(root);
}

pid_t spawn(const std::string& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string command = std::string(AIME_BINARY) + " " + args + " > " + log.string() + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

TEST(TrainAgent, AKilledRunResumesToTheUninterruptedBytes) {
  const fs::path root = fs::temp_directory_path() / ("aime_agent_kill_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const int epochs = 8;
  const auto t0 = std::chrono::steady_clock::now();
  auto [status, out] = run_aime(tiny_run(root / "straight", epochs));
  ASSERT_EQ(status, 0) << out;
  const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::mt19937 rng(20261206);
  std::uniform_real_distribution<double> fraction(0.1, 0.6);
  int kills = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    const pid_t pid = spawn(tiny_run(root / "killed", epochs) + " --resume", root / "run.log");
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(fraction(rng) * run_ms * 1000)));
    int wstatus = 0;
    if (::waitpid(pid, &wstatus, WNOHANG) == pid) break;  // finished before its kill
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &wstatus, 0);
    if (WIFSIGNALED(wstatus)) ++kills;
  }
  std::tie(status, out) = run_aime(tiny_run(root / "killed", epochs) + " --resume");
  ASSERT_EQ(status, 0) << out;
  EXPECT_GE(kills, 1);
  EXPECT_EQ(read_bytes(root / "killed" / "agent.safetensors"), read_bytes(root / "straight" / "agent.safetensors"));
  // One metrics row per epoch (the rows after a kill's last checkpoint are written again).
  const std::string metrics = read_bytes(root / "killed" / "metrics.csv");
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), epochs + 1) << metrics;
  for (int i = 0; i < 2 + epochs; ++i) {
    const auto name = std::to_string(i) + ".npz";
    EXPECT_EQ(read_bytes(root / "killed" / "train_trajectories" / name),
              read_bytes(root / "straight" / "train_trajectories" / name))
        << name;
  }
  fs::remove_all(root);
}

}  // namespace
