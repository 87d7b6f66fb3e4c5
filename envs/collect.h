// Dataset collection: roll a policy in an environment and record each episode in the
// original's layout (data/episode.h): image, the vector sensors (float64), pre_action
// (float32, zeros at t = 0), reward (0 at t = 0), is_first, is_last, is_terminal; 1 reset +
// 500 agent steps = 501 entries with the default options.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "data/episode.h"
#include "envs/environment.h"
#include "envs/policy.h"

namespace aime::envs {

// One episode; the seed fixes the environment's initial state and the policy's noise.
data::Episode collect_episode(Environment& env, Policy& policy, std::uint64_t seed, double* episode_return = nullptr);

struct CollectSummary {
  std::vector<double> returns;  // per episode
  double mean() const;
  double stddev() const;
};

// Writes episodes 0.npz ... (n-1).npz into out_dir (created), atomically each; episode i
// uses a seed derived from (seed, i), so a run is reproducible and any episode can be
// regenerated alone. `progress(i)` is called after each episode.
CollectSummary collect_dataset(const std::string& env_name, const std::string& policy_kind, std::int64_t episodes,
                               const std::string& out_dir, std::uint64_t seed,
                               const std::function<void(std::int64_t)>& progress = {},
                               data::Compression compression = data::Compression::Stored,
                               const EnvironmentOptions& env_options = {});

// The same with a policy of the caller's (e.g. a trained agent, algorithms/policy_checkpoint.h).
CollectSummary collect_dataset(const std::string& env_name, Policy& policy, std::int64_t episodes,
                               const std::string& out_dir, std::uint64_t seed,
                               const std::function<void(std::int64_t)>& progress = {},
                               data::Compression compression = data::Compression::Stored,
                               const EnvironmentOptions& env_options = {});

// Which renderer drew a dataset's frames: collect_dataset writes <dir>/renderer.txt
// ("canvas" or "mujoco") when it renders; "" for a folder without one (e.g. the original's).
// ValueError naming the file for any other content.
std::string dataset_renderer(const std::string& dir);

// SplitMix64: well-mixed 64-bit seeds from (seed, index).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index);

}  // namespace aime::envs
