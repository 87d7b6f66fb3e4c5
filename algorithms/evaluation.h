// Evaluation of a policy in an environment, as the original's test loop: N episodes from
// seeds derived from one test seed (the original's seed + 100), the return of each (the
// sum of its rewards), their mean and spread, and the normalised return, where 100 is the
// expert's return (the original divides by EXPERT_PERFORMANCE; here the expert's return is
// that of the demonstrations, measured in the same environment).
#pragma once
#include <optional>
#include <string>
#include <vector>
#include "data/sequence_dataset.h"
#include "envs/environment.h"
#include "envs/policy.h"
#include "models/sensors.h"

namespace aime::algorithms {

struct EvaluationOptions {
  std::string env;                     // a built-in environment (envs::environment_names())
  envs::EnvironmentOptions env_options;
  std::int64_t episodes = 10;
  std::uint64_t seed = 142;            // episode i starts from envs::derive_seed(seed, i)
  double expert_return = 0.0;          // 100 = this; <= 0: no normalisation (reported as 0)
};

struct EvaluationResult {
  std::vector<double> returns;  // per episode
  double mean = 0.0, stddev = 0.0;
  double normalised_mean = 0.0, normalised_stddev = 0.0;
};

// The frame size an environment must render for a policy or model reading `sensors`: the
// first image sensor's height (its frames are square), or EnvironmentOptions' default when
// none reads an image.
std::int64_t frame_size_for(const std::vector<models::SensorSpec>& sensors);

// Rolls `policy` for options.episodes episodes (policy.reset(episode seed) before each).
EvaluationResult evaluate_policy(envs::Policy& policy, const EvaluationOptions& options);

// The summary of per-episode returns: their mean and spread, raw and normalised.
EvaluationResult summarise_returns(std::vector<double> returns, double expert_return);

// An evaluation's record: the settings that fix its episodes (env, seed, episodes,
// episode_steps, action_repeat) and the return of each episode, one CSV row per episode.
// `aime imitate` leaves its final test in its run folder this way, so that `aime evaluate`
// with the same settings reads those returns instead of rolling the same episodes again.
// The write is atomic (write, then rename).
void write_evaluation_record(const std::string& path, const EvaluationOptions& options, const EvaluationResult& result);

// The returns recorded at `path` when the file exists and its settings equal `options`';
// nullopt when it does not exist or was made with other settings. A malformed file is a
// ValueError naming the file, the line and what was expected.
std::optional<std::vector<double>> read_evaluation_record(const std::string& path, const EvaluationOptions& options);

// The mean and the (population) standard deviation of values (0, 0 when empty).
void mean_and_stddev(const std::vector<double>& values, double& mean, double& stddev);

// 100 * value / expert_return (0 when expert_return <= 0).
double normalised_return(double value, double expert_return);

// The mean over episodes of the summed `reward` of an episode folder: the expert's return
// when the folder holds demonstrations (ValueError naming the folder if it has no reward).
double mean_episode_return(const data::SequenceDataset& episodes);

// An environment observation as the model reads data: sensor -> [1, 1, ...] float32 (T = B
// = 1), images HWC uint8 -> [1, 1, 3, H, W] / 255, vectors as float32. Each of `sensors`
// must be present with its shape (ValueError naming the sensor, expected vs found).
Batch observation_batch(const envs::Observation& observation, const std::vector<models::SensorSpec>& sensors);

}  // namespace aime::algorithms
