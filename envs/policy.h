// Policy: what acts in an Environment during collection and evaluation. The built-ins:
//   RandomPolicy       uniform in [-1, 1]^A (the original's random datasets);
//   expert policies    scripted per task from the equations of motion (experts.h);
//   NoisyPolicy        a base policy plus Gaussian noise and occasional random segments,
//                      for data of intermediate quality;
//   GaitPolicy         a central pattern generator: each motor a sine of one frequency with
//                      its own phase and amplitude, drawn per episode (legged bodies
//                      without a scripted expert: walker, cheetah);
//   MixPolicy          per episode one of random / very noisy / noisy / expert, the
//                      original's idea of a mixed-quality embodiment dataset; for an env
//                      without a scripted expert, one of random / gait / noisy gait.
// A policy draws its randomness from its own Generator, reseeded by reset(seed) at the
// start of each episode, so a collection run is reproducible from one seed.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autograd/generator.h"
#include "envs/environment.h"

namespace aime::envs {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual void reset(std::uint64_t seed) { gen_.manual_seed(seed); }
  virtual std::vector<double> act(const Observation& observation) = 0;

 protected:
  Generator gen_{0};
};

class RandomPolicy : public Policy {
 public:
  explicit RandomPolicy(int action_dim) : action_dim_(action_dim) {}
  std::string name() const override { return "random"; }
  std::vector<double> act(const Observation& observation) override;

 private:
  int action_dim_;
};

struct NoiseOptions {
  double stddev = 0.3;          // Gaussian noise added to each action
  double segment_prob = 0.0;    // chance per step to start a segment of random actions
  int segment_length = 10;      // steps per random segment
};

class NoisyPolicy : public Policy {
 public:
  NoisyPolicy(std::unique_ptr<Policy> base, int action_dim, const NoiseOptions& options);
  std::string name() const override;
  void reset(std::uint64_t seed) override;
  std::vector<double> act(const Observation& observation) override;

 private:
  std::unique_ptr<Policy> base_;
  int action_dim_;
  NoiseOptions options_;
  int segment_left_ = 0;
};

// a_i(k) = amplitude_i sin(2 pi f k dt + phase_i) at agent step k, with f uniform in
// [min_hz, max_hz], phases uniform, amplitudes uniform in [0.5, 1], drawn at reset.
class GaitPolicy : public Policy {
 public:
  GaitPolicy(int action_dim, double agent_step_seconds, double min_hz = 0.5, double max_hz = 4.0);
  std::string name() const override { return "gait"; }
  void reset(std::uint64_t seed) override;
  std::vector<double> act(const Observation& observation) override;

 private:
  int action_dim_;
  double dt_, min_hz_, max_hz_, hz_ = 1.0;
  std::vector<double> phase_, amplitude_;
  std::int64_t step_ = 0;
};

class MixPolicy : public Policy {
 public:
  explicit MixPolicy(const Environment& env);
  std::string name() const override { return "mix(" + components_[current_]->name() + ")"; }
  void reset(std::uint64_t seed) override;
  std::vector<double> act(const Observation& observation) override { return components_[current_]->act(observation); }

 private:
  std::vector<std::unique_ptr<Policy>> components_;
  std::size_t current_ = 0;
};

// "random", "expert", "noisy" (expert + noise 0.3) or "mix" for an environment.
std::unique_ptr<Policy> make_policy(const std::string& kind, const Environment& env);

}  // namespace aime::envs
