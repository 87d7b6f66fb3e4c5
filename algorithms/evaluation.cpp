#include "algorithms/evaluation.h"

#include <cmath>

#include "autograd/aime.h"
#include "envs/collect.h"

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

EvaluationResult evaluate_policy(envs::Policy& policy, const EvaluationOptions& o) {
  if (o.episodes < 1) throw ValueError("evaluate_policy: episodes must be >= 1");
  NoGradGuard no_grad;
  auto env = envs::make_environment(o.env, o.env_options);
  EvaluationResult r;
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
    r.returns.push_back(total);
  }
  mean_and_stddev(r.returns, r.mean, r.stddev);
  std::vector<double> normalised;
  for (double x : r.returns) normalised.push_back(normalised_return(x, o.expert_return));
  mean_and_stddev(normalised, r.normalised_mean, r.normalised_stddev);
  return r;
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

models::SensorBatch observation_batch(const envs::Observation& obs, const std::vector<models::SensorSpec>& sensors) {
  models::SensorBatch out;
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
      out[s.name] = t;
    } else {
      const std::vector<double>& v = obs.sensor(s.name);
      if (static_cast<std::int64_t>(v.size()) != s.size())
        throw ValueError("observation: sensor '" + s.name + "' has " + std::to_string(v.size()) + " values, expected " +
                         std::to_string(s.size()));
      Shape shape{1, 1};
      shape.insert(shape.end(), s.shape.begin(), s.shape.end());
      out[s.name] = tensor(v, shape);
    }
  }
  return out;
}

}  // namespace aime::algorithms
