#include "algorithms/evaluation.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>

#include "autograd/api.h"
#include "envs/collect.h"
#include "io/atomic_file.h"

namespace aime::algorithms {

void mean_and_stddev(const std::vector<double>& v, double& mean, double& stddev) {
  mean = stddev = 0.0;
  if (v.empty()) return;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) stddev += (x - mean) * (x - mean);
  stddev = std::sqrt(stddev / static_cast<double>(v.size()));
}

double normalised_return(double value, double expert_return) {
  return expert_return > 0.0 ? 100.0 * value / expert_return : 0.0;
}

std::int64_t frame_size_for(const std::vector<models::SensorSpec>& sensors) {
  for (const auto& s : sensors)
    if (s.is_image()) return s.shape[1];
  return envs::EnvironmentOptions{}.image_size;
}

EvaluationResult evaluate_policy(envs::Policy& policy, const EvaluationOptions& o) {
  if (o.episodes < 1) throw ValueError("evaluate_policy: episodes must be >= 1");
  NoGradGuard no_grad;
  auto env = envs::make_environment(o.env, o.env_options);
  std::vector<double> returns;
  for (std::int64_t i = 0; i < o.episodes; ++i) {
    const std::uint64_t seed = envs::derive_seed(o.seed, static_cast<std::uint64_t>(i));
    policy.reset(seed);
    envs::Observation obs = env->reset(seed);
    double total = 0.0;
    for (;;) {
      envs::StepResult step = env->step(policy.act(obs));
      total += step.reward;
      if (step.done) break;
      obs = std::move(step.observation);
    }
    returns.push_back(total);
  }
  return summarise_returns(std::move(returns), o.expert_return);
}

EvaluationResult summarise_returns(std::vector<double> returns, double expert_return) {
  EvaluationResult r;
  r.returns = std::move(returns);
  mean_and_stddev(r.returns, r.mean, r.stddev);
  std::vector<double> normalised;
  for (double x : r.returns) normalised.push_back(normalised_return(x, expert_return));
  mean_and_stddev(normalised, r.normalised_mean, r.normalised_stddev);
  return r;
}

namespace {

const char* const kRecordHeader = "env,seed,episodes,episode_steps,action_repeat,episode,return";

// The settings part of a record row: what fixes the episodes.
std::string record_settings(const EvaluationOptions& o) {
  return o.env + "," + std::to_string(o.seed) + "," + std::to_string(o.episodes) + "," +
         std::to_string(o.env_options.episode_steps) + "," + std::to_string(o.env_options.action_repeat);
}

}  // namespace

void write_evaluation_record(const std::string& path, const EvaluationOptions& o, const EvaluationResult& r) {
  if (static_cast<std::int64_t>(r.returns.size()) != o.episodes)
    throw ValueError("write_evaluation_record: " + std::to_string(r.returns.size()) + " returns for " +
                     std::to_string(o.episodes) + " episodes");
  io::write_file_atomically(path, [&](std::ostream& out) {
    out << kRecordHeader << "\n" << std::setprecision(17);
    for (std::size_t i = 0; i < r.returns.size(); ++i) out << record_settings(o) << "," << i << "," << r.returns[i] << "\n";
  });
}

std::optional<std::vector<double>> read_evaluation_record(const std::string& path, const EvaluationOptions& o) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  if (!in) throw ValueError(path + ": cannot be read");
  std::string line;
  if (!std::getline(in, line) || line != kRecordHeader)
    throw ValueError(path + ": line 1: expected the header '" + std::string(kRecordHeader) + "', found '" + line + "'");
  const std::string settings = record_settings(o);
  std::vector<double> returns;
  for (std::int64_t n = 2; std::getline(in, line); ++n) {
    const std::size_t last = line.rfind(','), before = last == std::string::npos ? last : line.rfind(',', last - 1);
    if (before == std::string::npos)
      throw ValueError(path + ": line " + std::to_string(n) + ": expected 7 fields (" + kRecordHeader + "), found '" +
                       line + "'");
    if (line.compare(0, before, settings) != 0) return std::nullopt;  // made with other settings
    const std::string episode = line.substr(before + 1, last - before - 1), value = line.substr(last + 1);
    std::size_t used = 0;
    double x = 0.0;
    try {
      x = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || value.empty() || episode != std::to_string(returns.size()))
      throw ValueError(path + ": line " + std::to_string(n) + ": expected episode " + std::to_string(returns.size()) +
                       " and a number, found '" + episode + "' and '" + value + "'");
    returns.push_back(x);
  }
  if (static_cast<std::int64_t>(returns.size()) != o.episodes)
    throw ValueError(path + ": expected " + std::to_string(o.episodes) + " episodes, found " + std::to_string(returns.size()));
  return returns;
}

double mean_episode_return(const data::SequenceDataset& episodes) {
  if (episodes.num_episodes() == 0) throw ValueError("mean_episode_return: no episodes");
  double total = 0.0;
  for (std::int64_t i = 0; i < episodes.num_episodes(); ++i) {
    const data::Episode& e = episodes.episode(i);
    if (!e.contains("reward")) throw ValueError(episodes.episode_name(i) + ": no 'reward' array to measure the return");
    const Tensor r = e.at("reward").data.to(kFloat64).contiguous();
    const double* p = r.data<double>();
    for (std::int64_t k = 0; k < r.numel(); ++k) total += p[k];
  }
  return total / static_cast<double>(episodes.num_episodes());
}

Batch observation_batch(const envs::Observation& obs, const std::vector<models::SensorSpec>& sensors) {
  Batch out;
  for (const auto& s : sensors) {
    if (s.is_image()) {
      const std::int64_t C = s.shape[0], H = s.shape[1], W = s.shape[2];
      if (static_cast<std::int64_t>(obs.image.size()) != C * H * W)
        throw ValueError("observation: the environment's image has " + std::to_string(obs.image.size()) +
                         " values, sensor '" + s.name + "' expects " + std::to_string(C * H * W) +
                         " (rendering off, or another image size?)");
      Tensor t = Tensor::empty({1, 1, C, H, W}, kFloat32);
      float* p = t.data<float>();
      for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t y = 0; y < H; ++y)
          for (std::int64_t x = 0; x < W; ++x)
            p[(c * H + y) * W + x] = static_cast<float>(obs.image[static_cast<std::size_t>((y * W + x) * C + c)]) / 255.0f;
      out.set(s.name, t);
    } else {
      const std::vector<double>& v = obs.sensor(s.name);
      if (static_cast<std::int64_t>(v.size()) != s.size())
        throw ValueError("observation: sensor '" + s.name + "' has " + std::to_string(v.size()) + " values, expected " +
                         std::to_string(s.size()));
      Shape shape{1, 1};
      shape.insert(shape.end(), s.shape.begin(), s.shape.end());
      out.set(s.name, tensor(v, shape));
    }
  }
  return out;
}

}  // namespace aime::algorithms
