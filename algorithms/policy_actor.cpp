#include "algorithms/policy_actor.h"

#include "algorithms/evaluation.h"
#include "autograd/api.h"

namespace aime::algorithms {

PolicyActor::PolicyActor(const models::WorldModel& model, models::TanhGaussianPolicy& policy, std::string name,
                         bool reads_mean)
    : model_(model), policy_(policy), name_(std::move(name)), reads_mean_(reads_mean) {}

void PolicyActor::reset(std::uint64_t seed) {
  Policy::reset(seed);
  state_ = model_.ssm().initial_state(1);
  pre_action_ = zeros({1, model_.config().action_size});
}

std::vector<double> PolicyActor::act(const envs::Observation& observation) {
  NoGradGuard no_grad;
  if (!state_.h.defined()) reset(0);
  const Tensor embedding = model_.embed(observation_batch(observation, model_.config().inputs)).select(0, 0);  // [1, E]
  state_ = model_.ssm().posterior_step(embedding, pre_action_, state_, gen_).state;
  pre_action_ = policy_.forward(reads_mean_ ? state_.mean_feature() : state_.feature())->mode();  // tanh(mean): [1, A]
  const Tensor a = pre_action_.to(kFloat64).contiguous();
  return std::vector<double>(a.data<double>(), a.data<double>() + a.numel());
}

}  // namespace aime::algorithms
