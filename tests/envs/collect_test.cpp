#include "envs/collect.h"

#include <gtest/gtest.h>

#include "autograd/error.h"

#include <filesystem>

#include "autograd/api.h"

namespace aime::envs {
namespace {

namespace fs = std::filesystem;

TEST(Collect, EpisodesHaveTheOriginalsLayout) {
  auto env = make_environment("pendulum-swingup");
  auto policy = make_policy("random", *env);
  double ret = 0;
  const data::Episode e = collect_episode(*env, *policy, 5, &ret);
  EXPECT_EQ(e.length(), 501);
  EXPECT_EQ(e.keys(), (std::vector<std::string>{"image", "orientation", "velocity", "pre_action", "reward", "is_first",
                                                "is_last", "is_terminal"}));
  EXPECT_EQ(e.at("image").data.shape(), (Shape{501, 64, 64, 3}));
  EXPECT_EQ(e.at("orientation").data.dtype(), kFloat64);
  EXPECT_EQ(e.at("pre_action").data.shape(), (Shape{501, 1}));
  EXPECT_EQ(e.at("pre_action").data.select(0, 0).item(), 0.0);
  EXPECT_EQ(e.at("reward").data.select(0, 0).item(), 0.0);
  EXPECT_NEAR(e.at("reward").data.sum().item(), ret, 1e-9);
  EXPECT_TRUE(e.at("is_first").boolean);
  EXPECT_EQ(e.at("is_first").data.sum().item(), 1.0);
  EXPECT_EQ(e.at("is_last").data.select(0, 500).item(), 1.0);
  EXPECT_EQ(e.at("is_terminal").data.sum().item(), 0.0);
}

TEST(Collect, SameSeedGivesABitIdenticalDataset) {
  const fs::path a = fs::temp_directory_path() / "aime_collect_a", b = fs::temp_directory_path() / "aime_collect_b",
                 c = fs::temp_directory_path() / "aime_collect_c";
  for (const auto& d : {a, b, c}) fs::remove_all(d);
  const auto sa = collect_dataset("cartpole-swingup", "mix", 3, a.string(), 11);
  collect_dataset("cartpole-swingup", "mix", 3, b.string(), 11);
  collect_dataset("cartpole-swingup", "mix", 3, c.string(), 12);
  EXPECT_EQ(sa.returns.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const std::string name = std::to_string(i) + ".npz";
    EXPECT_EQ(data::read_file_bytes((a / name).string()), data::read_file_bytes((b / name).string())) << name;
    EXPECT_NE(data::read_file_bytes((a / name).string()), data::read_file_bytes((c / name).string())) << name;
  }
  EXPECT_EQ(data::list_episode_files(a.string()).size(), 3u);
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

TEST(Collect, BadArgumentsFailClearly) {
  EXPECT_THROW(collect_dataset("hopper-hop", "random", 1, "/tmp/x", 0), ValueError);  // no such env
  EXPECT_THROW(collect_dataset("pendulum-swingup", "random", 0, "/tmp/x", 0), ValueError);
}

}  // namespace
}  // namespace aime::envs
