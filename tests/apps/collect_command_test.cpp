// Runs `aime collect` and reads back what it wrote.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

#include "data/episode.h"

namespace {

using aime::app::testing::run_aime;
auto run(const std::string& args) { return run_aime(args); }

TEST(Collect, WritesEpisodesAndPrintsTheReturns) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "aime_cli_collect";
  fs::remove_all(dir);
  auto [status, out] = run("collect --env cartpole-balance --policy expert --episodes 2 --seed 4 --out " + dir.string());
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("cartpole-balance expert: return 99"), std::string::npos) << out;
  EXPECT_NE(out.find("over 2 episodes"), std::string::npos) << out;
  const auto files = aime::data::list_episode_files(dir.string());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(aime::data::load_episode(files[1]).length(), 501);
  // Settings from an env config file, a flag overriding one of them.
  fs::remove_all(dir);
  std::tie(status, out) = run("collect --config " + std::string(AIME_SOURCE_DIR) + "/configs/env-cartpole-balance.ini " +
                              "--policy expert --episodes 1 --episode-steps 100 --out " + dir.string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("cartpole-balance expert"), std::string::npos) << out;
  EXPECT_EQ(aime::data::load_episode(aime::data::list_episode_files(dir.string())[0]).length(), 51);
  std::tie(status, out) = run("collect --env hopper-hop --out " + dir.string());
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("unknown environment 'hopper-hop'"), std::string::npos) << out;
#if defined(AIME_WITH_MUJOCO)
  // The MuJoCo bodies collect too (random and mix; there is no scripted expert for them).
  fs::remove_all(dir);
  std::tie(status, out) = run("collect --env walker-walk --policy mix --episodes 2 --episode-steps 40 --out " + dir.string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("walker-walk mix"), std::string::npos) << out;
  const auto walker = aime::data::load_episode(aime::data::list_episode_files(dir.string())[0]);
  EXPECT_EQ(walker.length(), 21);
  fs::remove_all(dir);
  std::tie(status, out) = run("collect --env cheetah-run --policy expert --out " + dir.string());
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("no scripted expert"), std::string::npos) << out;
#endif
  std::tie(status, out) = run("collect --episodes 2");
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("missing --out"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
