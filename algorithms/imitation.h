// What every imitation method (AIME, BC, BCO(0), IIDM) shares: its run folder, its
// progress callbacks, its periodic evaluation in the environment and its result.
//   <out_dir>/metrics.csv     one row per gradient step (loss and method-specific terms)
//   <out_dir>/eval.csv        one row per evaluation: step, return, return_std,
//                             normalised, normalised_std (over that evaluation's episodes)
//   <out_dir>/policy.safetensors   the policy, loadable by load_policy (policy_checkpoint.h)
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include "algorithms/evaluation.h"
#include "algorithms/metrics_log.h"

namespace aime::algorithms {

struct ImitationCallbacks {
  // phase ("aime", "bc", "bco/idm", ...), work done and total (epochs or steps; total 0:
  // unknown, as with early stopping).
  std::function<void(const std::string& phase, std::int64_t done, std::int64_t total)> progress;
  // After each evaluation in the environment.
  std::function<void(std::int64_t step, const EvaluationResult& result)> evaluated;
};

struct ImitationResult {
  std::int64_t steps = 0;                     // gradient steps of the policy
  std::optional<EvaluationResult> final_evaluation;  // absent without an environment
};

// Runs evaluate_policy when options.env is set and logs it to eval.csv: the periodic test
// of a training run.
// In a run folder: the final test's returns and the settings that fixed its episodes
// (write_evaluation_record), which `aime evaluate` reads instead of rolling them again.
inline constexpr const char* kFinalTestFile = "final_test.csv";

class PeriodicEvaluation {
 public:
  // Removes a final test record left in out_dir by an earlier run: it measured another policy.
  PeriodicEvaluation(const std::string& out_dir, const EvaluationOptions& options, const ImitationCallbacks& callbacks);
  bool enabled() const { return !options_.env.empty(); }
  // A periodic test of options.episodes; nothing when disabled or options.episodes is 0
  // (`--test-episodes 0`: no periodic tests).
  std::optional<EvaluationResult> run(envs::Policy& policy, std::int64_t step);
  // The final test of `episodes` (0: none), its returns recorded in out_dir/kFinalTestFile.
  std::optional<EvaluationResult> final_test(envs::Policy& policy, std::int64_t step, std::int64_t episodes);

 private:
  std::optional<EvaluationResult> evaluate(envs::Policy& policy, std::int64_t step, std::int64_t episodes);
  std::string final_test_path_;
  EvaluationOptions options_;
  const ImitationCallbacks& callbacks_;
  std::unique_ptr<MetricsLog> log_;
};

}  // namespace aime::algorithms
