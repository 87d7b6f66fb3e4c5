// Runs `aime imitate` (AIME and the three baselines) and `aime evaluate` end to end on a
// tiny pendulum problem from the vector sensors: the plumbing, the files, the table, the
// errors. (Whether AIME learns is tests/algorithms/aime_test.cpp's job.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/apps/run_aime.h"

namespace {

namespace fs = std::filesystem;
using aime::app::testing::run_aime;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Imitate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root = fs::temp_directory_path() / ("aime_cli_imitate_" + std::to_string(::getpid()));
    fs::remove_all(root);
    const std::string env = " --env pendulum-swingup --episode-steps 100 ";
    for (const auto& [policy, n, seed] : {std::tuple{"mix", 3, 0}, std::tuple{"expert", 2, 1}}) {
      auto [status, out] = run_aime("collect" + env + "--policy " + std::string(policy) + " --episodes " +
                                    std::to_string(n) + " --seed " + std::to_string(seed) + " --out " +
                                    (root / policy).string());
      ASSERT_EQ(status, 0) << out;
    }
    auto [status, out] = run_aime("train-model --dataset " + (root / "mix").string() +
                                  " --setup mdp --state-size 16,4 --hidden-size 16 --batch-size 4 --horizon 8 --epochs 1 "
                                  "--batches-per-epoch 3 --out " + (root / "model").string());
    ASSERT_EQ(status, 0) << out;
  }
  static void TearDownTestSuite() { fs::remove_all(root); }
  static inline fs::path root;
  const std::string env = " --env pendulum-swingup --episode-steps 100 --test-episodes 1 --final-test-episodes 2 ";
};

TEST_F(Imitate, AimeWritesAPolicyFolderWithMetricsAndTests) {
  auto [status, out] = run_aime("imitate --algo aime --model " + (root / "model").string() + " --demos " +
                                (root / "expert").string() + env +
                                "--epochs 2 --batches-per-epoch 2 --batch-size 4 --horizon 8 --test-period 1 --out " +
                                (root / "aime").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("final test (2 episodes of pendulum-swingup)"), std::string::npos) << out;
  EXPECT_NE(out.find("expert return (normalised 100)"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(root / "aime" / "policy.safetensors"));
  const std::string metrics = read(root / "aime" / "metrics.csv");
  EXPECT_EQ(metrics.rfind("step,action_mse,elbo,grad_norm,kl,loss,", 0), 0u) << metrics;
  // Tests at steps 0, 2 (epoch 1) and the final one at 4 (epoch 2).
  const std::string eval = read(root / "aime" / "eval.csv");
  EXPECT_NE(eval.find("\n0,1,"), std::string::npos) << eval;
  EXPECT_NE(eval.find("\n2,1,"), std::string::npos) << eval;
  EXPECT_NE(eval.find("\n4,2,"), std::string::npos) << eval;
}

// --dataset-memory below the folders' size reads them per batch: the same batches, so the
// same policy, byte for byte, for AIME (demonstrations) and BCO(0) (both folders).
TEST_F(Imitate, FoldersReadPerBatchUnderABudgetGiveTheSamePolicy) {
  for (const std::string algo : {"aime", "bco"}) {
    std::string policy[2];
    for (int lazy = 0; lazy < 2; ++lazy) {
      const fs::path out_dir = root / (algo + "_memory_" + std::to_string(lazy));
      const std::string args =
          algo == "aime" ? "--model " + (root / "model").string() + " --epochs 1 --batches-per-epoch 2 --batch-size 4 --horizon 8"
                         : "--embodiment " + (root / "mix").string() + " --setup mdp --min-epochs 1 --max-epochs 1 "
                           "--dynamics-min-steps 0";
      auto [status, out] = run_aime("imitate --algo " + algo + " " + args + " --demos " + (root / "expert").string() + env +
                                    "--test-period 1 --dataset-memory " + (lazy ? "1K" : "auto") + " --out " +
                                    out_dir.string());
      ASSERT_EQ(status, 0) << algo << ": " << out;
      EXPECT_NE(out.find(lazy ? "(read per batch: " : "(in memory, "), std::string::npos) << out;
      policy[lazy] = read(out_dir / "policy.safetensors");
      ASSERT_FALSE(policy[lazy].empty()) << algo;
    }
    EXPECT_EQ(policy[0], policy[1]) << algo;
  }
}

TEST_F(Imitate, BaselinesTrainAndEvaluateWritesTheTableAndThePlot) {
  const std::string baseline = " --setup mdp --min-epochs 2 --max-epochs 2 --test-period 1 --dynamics-min-steps 0 ";
  for (const std::string algo : {"bc", "bco", "iidm"}) {
    auto [status, out] = run_aime("imitate --algo " + algo + " --demos " + (root / "expert").string() + " --embodiment " +
                                  (root / "mix").string() + env + baseline + "--out " + (root / algo).string());
    ASSERT_EQ(status, 0) << algo << ": " << out;
    EXPECT_TRUE(fs::exists(root / algo / "policy.safetensors")) << algo;
  }
  EXPECT_TRUE(fs::exists(root / "bco" / "dynamics.csv"));
  auto [status, out] = run_aime("evaluate --policy " + (root / "bc").string() + " --policy " + (root / "bco").string() +
                                " --policy " + (root / "iidm").string() + " --policy random --policy expert" +
                                " --label bc --label bc --label iidm --label random --label expert" +
                                " --env pendulum-swingup --episode-steps 100 --episodes 2 --demos " +
                                (root / "expert").string() + " --out " + (root / "results").string());
  ASSERT_EQ(status, 0) << out;
  const std::string md = read(root / "results.md");
  EXPECT_NE(md.find("| method | runs | return | normalised |"), std::string::npos) << md;
  EXPECT_NE(md.find("| bc | 2 |"), std::string::npos) << md;  // two runs under one label
  EXPECT_NE(md.find("| random | 1 |"), std::string::npos) << md;
  const std::string csv = read(root / "results.csv");
  EXPECT_EQ(csv.rfind("method,run,source,return_mean,return_std,normalised_mean,normalised_std,episodes\n", 0), 0u) << csv;
  EXPECT_TRUE(fs::exists(root / "results.png"));
}

TEST_F(Imitate, BadInvocationsSayWhatIsWrong) {
  auto [status, out] = run_aime("imitate --algo aime --demos " + (root / "expert").string() + " --out " +
                                (root / "x").string());
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("needs --model"), std::string::npos) << out;
  std::tie(status, out) = run_aime("imitate --algo dagger --demos d --out o");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("aime, bc, bco or iidm"), std::string::npos) << out;
  std::tie(status, out) = run_aime("imitate --algo bc --demos " + (root / "expert").string() + " --env walker --out o");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("unknown --env 'walker'"), std::string::npos) << out;
  std::tie(status, out) = run_aime("imitate --algo bc --demos " + (root / "expert").string() +
                                   " --num-expert-trajectories 0 --out o");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("--num-expert-trajectories must be >= 1, got 0"), std::string::npos) << out;
  std::tie(status, out) = run_aime("imitate --algo bc --demos " + (root / "expert").string() +
                                   " --dataset-memory lots --out o");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("--dataset-memory: expected a size such as 512M or 4G, got 'lots'"), std::string::npos) << out;
  std::tie(status, out) = run_aime("evaluate --policy " + (root / "nothing").string() + " --env pendulum-swingup");
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("not a policy folder"), std::string::npos) << out;
  std::tie(status, out) = run_aime("evaluate --policy random --label a --label b --env pendulum-swingup");
  EXPECT_EQ(status, 2) << out;
}

}  // namespace
