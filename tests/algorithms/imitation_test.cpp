#include "algorithms/imitation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "envs/policy.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

TEST(PeriodicEvaluation, LogsEachTestToEvalCsvAndReportsIt) {
  const std::string dir = (fs::temp_directory_path() / ("aime_imitation_" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  EvaluationOptions o;
  o.env = "pendulum-swingup";
  o.env_options.render = false;
  o.env_options.episode_steps = 100;
  o.episodes = 2;
  o.expert_return = 10.0;
  std::vector<std::int64_t> seen;
  ImitationCallbacks callbacks;
  callbacks.evaluated = [&](std::int64_t step, const EvaluationResult& r) {
    seen.push_back(step);
    EXPECT_EQ(r.returns.size(), step == 0 ? 2u : step == 10 ? 1u : 3u);
  };
  auto env = envs::make_environment("pendulum-swingup", o.env_options);
  auto policy = envs::make_policy("expert", *env);
  {
    PeriodicEvaluation eval(dir, o, callbacks);
    ASSERT_TRUE(eval.enabled());
    ASSERT_TRUE(eval.run(*policy, 0).has_value());
    ASSERT_TRUE(eval.final_test(*policy, 50, 3).has_value());  // logged like a periodic test
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 50}));
  std::ifstream in(dir + "/eval.csv");
  std::string header, row0, row1;
  std::getline(in, header);
  std::getline(in, row0);
  std::getline(in, row1);
  EXPECT_EQ(header, "step,episodes,normalised,normalised_std,return,return_std");
  EXPECT_EQ(row0.rfind("0,2,", 0), 0u) << row0;
  EXPECT_EQ(row1.rfind("50,3,", 0), 0u) << row1;

  // The final test leaves its record, read back only with the final test's own settings; the
  // next run in the folder removes it before it trains.
  {
    PeriodicEvaluation eval(dir, o, callbacks);
    const auto final_result = eval.final_test(*policy, 80, 3);
    ASSERT_TRUE(final_result.has_value());
    EvaluationOptions same = o;
    same.episodes = 3;
    const auto recorded = read_evaluation_record(dir + "/" + kFinalTestFile, same);
    ASSERT_TRUE(recorded.has_value());
    EXPECT_EQ(*recorded, final_result->returns);
    EXPECT_FALSE(read_evaluation_record(dir + "/" + kFinalTestFile, o).has_value());  // 2 episodes: another test
  }
  EXPECT_TRUE(fs::exists(dir + "/" + kFinalTestFile));
  { PeriodicEvaluation next(dir, o, callbacks); }
  EXPECT_FALSE(fs::exists(dir + "/" + kFinalTestFile));

  // 0 episodes: no test at all (`--test-episodes 0`, `--final-test-episodes 0`), and no record.
  {
    EvaluationOptions none = o;
    none.episodes = 0;
    PeriodicEvaluation eval(dir, none, callbacks);
    EXPECT_FALSE(eval.run(*policy, 0).has_value());
    EXPECT_FALSE(eval.final_test(*policy, 10, 0).has_value());
    EXPECT_FALSE(fs::exists(dir + "/" + kFinalTestFile));
    EXPECT_TRUE(eval.final_test(*policy, 10, 1).has_value());  // the final test's own count
  }
  EXPECT_EQ(seen.size(), 4u);
  { PeriodicEvaluation next(dir, o, callbacks); }

  o.env.clear();
  PeriodicEvaluation off(dir, o, callbacks);
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.run(*policy, 0).has_value());
}

}  // namespace
}  // namespace aime::algorithms
