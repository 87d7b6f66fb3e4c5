#include "algorithms/imitation.h"

#include <filesystem>

namespace aime::algorithms {

PeriodicEvaluation::PeriodicEvaluation(const std::string& out_dir, const EvaluationOptions& options,
                                       const ImitationCallbacks& callbacks)
    : final_test_path_((std::filesystem::path(out_dir) / kFinalTestFile).string()), options_(options), callbacks_(callbacks) {
  std::filesystem::remove(final_test_path_);
  if (enabled()) log_ = std::make_unique<MetricsLog>((std::filesystem::path(out_dir) / "eval.csv").string());
}

std::optional<EvaluationResult> PeriodicEvaluation::run(envs::Policy& policy, std::int64_t step) {
  return evaluate(policy, step, options_.episodes);
}

std::optional<EvaluationResult> PeriodicEvaluation::evaluate(envs::Policy& policy, std::int64_t step,
                                                             std::int64_t episodes) {
  if (!enabled() || episodes == 0) return std::nullopt;
  EvaluationOptions o = options_;
  o.episodes = episodes;  // evaluate_policy rejects a negative count
  EvaluationResult r = evaluate_policy(policy, o);
  log_->write(step, {{"return", r.mean},
                     {"return_std", r.stddev},
                     {"normalised", r.normalised_mean},
                     {"normalised_std", r.normalised_stddev},
                     {"episodes", static_cast<double>(o.episodes)}});
  if (callbacks_.evaluated) callbacks_.evaluated(step, r);
  return r;
}

std::optional<EvaluationResult> PeriodicEvaluation::final_test(envs::Policy& policy, std::int64_t step,
                                                               std::int64_t episodes) {
  std::optional<EvaluationResult> r = evaluate(policy, step, episodes);
  if (r) {
    EvaluationOptions o = options_;
    o.episodes = static_cast<std::int64_t>(r->returns.size());
    write_evaluation_record(final_test_path_, o, *r);
  }
  return r;
}

}  // namespace aime::algorithms
