// PolicyActor: a policy on the world model's filtered state acting in an environment (the
// original's PolicyActor, docs/original.md §4): at each step the model assimilates
// the new observation with the action that was executed before it,
//   s_t ~ q(. | h_t(s_{t-1}, a_{t-1}), enc(o_t))      (a_{-1} = 0, s_{-1} = the zero state)
// and the action is the policy's mode a_t = tanh(mean(feature(s_t))), deterministic, where
// the feature is [h_t, z_t], or [h_t, mean of q(z_t)] for a policy trained on that
// (reads_mean; AimeOptions::policy_reads_mean). The model's sampling noise comes from a
// generator reseeded by reset(seed).
#pragma once
#include "envs/policy.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"

namespace aime::algorithms {

class PolicyActor : public envs::Policy {
 public:
  // Both must outlive the actor.
  PolicyActor(const models::WorldModel& model, models::TanhGaussianPolicy& policy, std::string name = "aime",
              bool reads_mean = false);
  std::string name() const override { return name_; }
  void reset(std::uint64_t seed) override;
  std::vector<double> act(const envs::Observation& observation) override;

 private:
  const models::WorldModel& model_;
  models::TanhGaussianPolicy& policy_;
  std::string name_;
  bool reads_mean_;
  models::State state_;
  Tensor pre_action_;
};

}  // namespace aime::algorithms
