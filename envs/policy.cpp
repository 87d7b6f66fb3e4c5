#include "envs/policy.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "autograd/ops/creation.h"
#include "envs/experts.h"

namespace aime::envs {

std::vector<double> RandomPolicy::act(const Observation&) {
  const auto u = rand({action_dim_}, gen_, kFloat64).to_vector<double>();
  std::vector<double> out;
  for (double v : u) out.push_back(2.0 * v - 1.0);
  return out;
}

NoisyPolicy::NoisyPolicy(std::unique_ptr<Policy> base, int action_dim, const NoiseOptions& options)
    : base_(std::move(base)), action_dim_(action_dim), options_(options) {}

std::string NoisyPolicy::name() const { return "noisy " + base_->name(); }

void NoisyPolicy::reset(std::uint64_t seed) {
  Policy::reset(seed);
  base_->reset(seed ^ 0x9E3779B97F4A7C15ull);
  segment_left_ = 0;
}

std::vector<double> NoisyPolicy::act(const Observation& obs) {
  std::vector<double> a = base_->act(obs);  // always called, so the base's state advances
  const auto draws = rand({1 + action_dim_}, gen_, kFloat64).to_vector<double>();
  if (segment_left_ == 0 && draws[0] < options_.segment_prob) segment_left_ = options_.segment_length;
  if (segment_left_ > 0) {
    --segment_left_;
    for (int i = 0; i < action_dim_; ++i) a[static_cast<std::size_t>(i)] = 2.0 * draws[static_cast<std::size_t>(1 + i)] - 1.0;
    return a;
  }
  const auto noise = randn({action_dim_}, gen_, kFloat64).to_vector<double>();
  for (int i = 0; i < action_dim_; ++i)
    a[static_cast<std::size_t>(i)] = std::clamp(a[static_cast<std::size_t>(i)] + options_.stddev * noise[static_cast<std::size_t>(i)], -1.0, 1.0);
  return a;
}

GaitPolicy::GaitPolicy(int action_dim, double agent_step_seconds, double min_hz, double max_hz)
    : action_dim_(action_dim), dt_(agent_step_seconds), min_hz_(min_hz), max_hz_(max_hz) {}

void GaitPolicy::reset(std::uint64_t seed) {
  Policy::reset(seed);
  const auto u = rand({1 + 2 * action_dim_}, gen_, kFloat64).to_vector<double>();
  hz_ = min_hz_ + (max_hz_ - min_hz_) * u[0];
  phase_.assign(u.begin() + 1, u.begin() + 1 + action_dim_);
  for (double& p : phase_) p *= 2.0 * M_PI;
  amplitude_.assign(u.begin() + 1 + action_dim_, u.end());
  for (double& a : amplitude_) a = 0.5 + 0.5 * a;
  step_ = 0;
}

std::vector<double> GaitPolicy::act(const Observation&) {
  std::vector<double> a(static_cast<std::size_t>(action_dim_));
  const double t = static_cast<double>(step_++) * dt_;
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = amplitude_[i] * std::sin(2.0 * M_PI * hz_ * t + phase_[i]);
  return a;
}

namespace {
bool has_expert(const Environment& env) {
  try {
    make_expert(env);
    return true;
  } catch (const ValueError&) {
    return false;
  }
}
}  // namespace

MixPolicy::MixPolicy(const Environment& env) {
  const int a = env.action_dim();
  if (!has_expert(env)) {
    // Legged bodies without a scripted expert: random, rhythmic, rhythmic with noise.
    const double dt = env.options().action_repeat * env.control_timestep();
    components_.push_back(std::make_unique<RandomPolicy>(a));
    components_.push_back(std::make_unique<GaitPolicy>(a, dt));
    components_.push_back(std::make_unique<NoisyPolicy>(std::make_unique<GaitPolicy>(a, dt), a, NoiseOptions{0.3, 0.02, 10}));
    return;
  }
  components_.push_back(std::make_unique<RandomPolicy>(a));
  components_.push_back(std::make_unique<NoisyPolicy>(make_expert(env), a, NoiseOptions{1.0, 0.05, 20}));
  components_.push_back(std::make_unique<NoisyPolicy>(make_expert(env), a, NoiseOptions{0.3, 0.01, 10}));
  components_.push_back(make_expert(env));
}

void MixPolicy::reset(std::uint64_t seed) {
  Policy::reset(seed);
  current_ = static_cast<std::size_t>(rand({1}, gen_, kFloat64).item() * static_cast<double>(components_.size()));
  current_ = std::min(current_, components_.size() - 1);
  components_[current_]->reset(seed + 1);
}

std::unique_ptr<Policy> make_policy(const std::string& kind, const Environment& env) {
  if (kind == "random") return std::make_unique<RandomPolicy>(env.action_dim());
  if (kind == "expert") return make_expert(env);
  if (kind == "noisy") return std::make_unique<NoisyPolicy>(make_expert(env), env.action_dim(), NoiseOptions{});
  if (kind == "mix") return std::make_unique<MixPolicy>(env);
  if (kind == "gait") return std::make_unique<GaitPolicy>(env.action_dim(), env.options().action_repeat * env.control_timestep());
  throw ValueError("make_policy: unknown policy '" + kind + "' (expected random, expert, noisy, mix or gait)");
}

}  // namespace aime::envs
