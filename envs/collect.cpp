#include "envs/collect.h"

#include <fstream>

#include "io/atomic_file.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "autograd/ops/creation.h"

namespace aime::envs {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

data::Episode collect_episode(Environment& env, Policy& policy, std::uint64_t seed, double* episode_return) {
  const std::int64_t T = env.agent_steps() + 1;
  const int A = env.action_dim();
  Observation obs = env.reset(derive_seed(seed, 0));
  policy.reset(derive_seed(seed, 1));
  // Buffers sized from the first observation.
  std::vector<std::pair<std::string, std::vector<double>>> sensors;
  for (const auto& [name, values] : obs.sensors) sensors.push_back({name, {}});
  const bool images = !obs.image.empty();
  std::vector<std::uint8_t> frames;
  std::vector<float> pre_action(static_cast<std::size_t>(T * A), 0.0f);
  std::vector<double> reward(static_cast<std::size_t>(T), 0.0);
  auto record = [&](const Observation& o) {
    for (std::size_t k = 0; k < sensors.size(); ++k)
      sensors[k].second.insert(sensors[k].second.end(), o.sensors[k].second.begin(), o.sensors[k].second.end());
    frames.insert(frames.end(), o.image.begin(), o.image.end());
  };
  record(obs);
  double total = 0.0;
  for (std::int64_t t = 1; t < T; ++t) {
    const std::vector<double> action = policy.act(obs);
    const StepResult r = env.step(action);
    for (int i = 0; i < A; ++i)  // the action as executed (clipped)
      pre_action[static_cast<std::size_t>(t * A + i)] = static_cast<float>(std::fmax(-1.0, std::fmin(1.0, action[static_cast<std::size_t>(i)])));
    reward[static_cast<std::size_t>(t)] = r.reward;
    total += r.reward;
    obs = r.observation;
    record(obs);
  }
  data::Episode e;
  if (images) {
    const std::int64_t size = env.options().image_size;
    Tensor image = Tensor::empty({T, size, size, 3}, kUInt8);
    std::memcpy(image.data_ptr(), frames.data(), frames.size());
    e.set("image", image);
  }
  for (const auto& [name, values] : sensors) {
    const auto D = static_cast<std::int64_t>(values.size()) / T;
    e.set(name, tensor(values, {T, D}, kFloat64));
  }
  e.set("pre_action", from_vector(pre_action, {T, A}));
  e.set("reward", tensor(reward, {T, 1}, kFloat64));
  Tensor is_first = zeros({T, 1}, kUInt8), is_last = zeros({T, 1}, kUInt8);
  is_first.data<std::uint8_t>()[0] = 1;
  is_last.data<std::uint8_t>()[T - 1] = 1;
  e.set("is_first", is_first, true);
  e.set("is_last", is_last, true);
  e.set("is_terminal", zeros({T, 1}, kUInt8), true);
  if (episode_return) *episode_return = total;
  return e;
}

double CollectSummary::mean() const {
  double s = 0;
  for (double r : returns) s += r;
  return returns.empty() ? 0.0 : s / static_cast<double>(returns.size());
}

double CollectSummary::stddev() const {
  if (returns.size() < 2) return 0.0;
  const double m = mean();
  double s = 0;
  for (double r : returns) s += (r - m) * (r - m);
  return std::sqrt(s / static_cast<double>(returns.size() - 1));
}

CollectSummary collect_dataset(const std::string& env_name, const std::string& policy_kind, std::int64_t episodes,
                               const std::string& out_dir, std::uint64_t seed,
                               const std::function<void(std::int64_t)>& progress, data::Compression compression,
                               const EnvironmentOptions& env_options) {
  auto env = make_environment(env_name, env_options);
  auto policy = make_policy(policy_kind, *env);
  return collect_dataset(env_name, *policy, episodes, out_dir, seed, progress, compression, env_options);
}

CollectSummary collect_dataset(const std::string& env_name, Policy& policy, std::int64_t episodes,
                               const std::string& out_dir, std::uint64_t seed,
                               const std::function<void(std::int64_t)>& progress, data::Compression compression,
                               const EnvironmentOptions& env_options) {
  if (episodes < 1) throw ValueError("collect: episodes must be >= 1, got " + std::to_string(episodes));
  auto env = make_environment(env_name, env_options);
  std::filesystem::create_directories(out_dir);
  if (env_options.render)
    io::write_file_atomically((std::filesystem::path(out_dir) / "renderer.txt").string(),
                              [&](std::ostream& o) { o << env_options.renderer << "\n"; });
  CollectSummary summary;
  for (std::int64_t i = 0; i < episodes; ++i) {
    double ret = 0;
    const data::Episode e = collect_episode(*env, policy, derive_seed(seed, static_cast<std::uint64_t>(i)), &ret);
    data::save_episode((std::filesystem::path(out_dir) / (std::to_string(i) + ".npz")).string(), e, compression);
    summary.returns.push_back(ret);
    if (progress) progress(i);
  }
  return summary;
}

std::string dataset_renderer(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::path(dir) / "renderer.txt";
  std::ifstream in(path);
  if (!in) return "";
  std::string name;
  in >> name;
  if (name != "canvas" && name != "mujoco")
    throw ValueError(path.string() + ": expected canvas or mujoco, found '" + name + "'");
  return name;
}

}  // namespace aime::envs
