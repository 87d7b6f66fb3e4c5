// Runs `aime collect` and reads back what it wrote.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include "data/episode.h"
#if defined(AIME_WITH_MUJOCO)
#include "envs/mujoco/mujoco_renderer.h"
#endif

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

#if defined(AIME_WITH_MUJOCO)
// --renderer mujoco: DMC's pixels, recorded with the data, the model and the policy, so
// that evaluation draws its frames the same way; refused where it cannot draw.
TEST(Collect, TheRendererTravelsFromTheDataToTheModelAndThePolicy) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / "aime_cli_renderer";
  fs::remove_all(root);
  const std::string data = (root / "data").string(), model = (root / "model").string(), bc = (root / "bc").string();
  auto [status, out] = run("collect --env pendulum-swingup --renderer mujoco --episodes 1 --out " + data);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("--renderer canvas"), std::string::npos) << out;
  if (!aime::envs::MujocoRenderer::available()) {
    std::tie(status, out) = run("collect --env walker-walk --renderer mujoco --episodes 1 --out " + data);
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("libosmesa6-dev"), std::string::npos) << out;
    GTEST_SKIP() << "built without OSMesa";
  }
  std::tie(status, out) = run("collect --env walker-walk --policy mix --renderer mujoco --episodes 2 --episode-steps 40 "
                              "--out " + data);
  ASSERT_EQ(status, 0) << out;
  std::ifstream recorded(fs::path(data) / "renderer.txt");
  std::string renderer;
  recorded >> renderer;
  EXPECT_EQ(renderer, "mujoco");
  std::tie(status, out) = run("train-model --env walker-walk --dataset " + data + " --setup lpomdp --epochs 1 "
                              "--batches-per-epoch 1 --batch-size 2 --horizon 8 --out " + model);
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run("checkpoint info " + model + "/model.safetensors");
  EXPECT_NE(out.find("train.renderer: mujoco"), std::string::npos) << out;
  std::tie(status, out) = run("imitate --algo bc --demos " + data + " --env walker-walk --setup lpomdp --max-epochs 1 "
                              "--min-epochs 1 --batch-size 4 --test-episodes 1 --final-test-episodes 1 --episode-steps 20 "
                              "--out " + bc);
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run("checkpoint info " + bc + "/policy.safetensors");
  EXPECT_NE(out.find("train.renderer: mujoco"), std::string::npos) << out;
  fs::remove_all(root);
}
#endif

}  // namespace
