// Policy: what acts in an Environment during collection and evaluation. The built-ins:
//   RandomPolicy       uniform in [-1, 1]^A (the original's random datasets);
//   expert policies    scripted per task from the equations of motion (experts.h);
//   NoisyPolicy        a base policy plus Gaussian noise and occasional random segments,
//                      for data of intermediate quality;
//   MixPolicy          per episode one of random / very noisy / noisy / expert, the
//                      original's idea of a mixed-quality embodiment dataset.
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
