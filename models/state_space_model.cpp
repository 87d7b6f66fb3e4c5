#include "models/state_space_model.h"

#include "autograd/aime.h"

namespace aime::models {

Tensor State::feature() const { return cat({h, z}, -1); }

Tensor FilterOutput::features() const {
  std::vector<Tensor> f;
  for (const auto& s : states) f.push_back(s.feature());
  return stack(f, 0);
}

StateSpaceModel::StateSpaceModel(std::string type_name, std::int64_t h, std::int64_t z, std::int64_t a, std::int64_t e)
    : Module(std::move(type_name)), h_size_(h), z_size_(z), a_size_(a), e_size_(e) {
  if (h < 1 || z < 1 || a < 1 || e < 1)
    throw ValueError(this->type_name() + ": state, action and embedding sizes must be positive, got h " + std::to_string(h) +
                     ", z " + std::to_string(z) + ", a " + std::to_string(a) + ", e " + std::to_string(e));
  initial_h_ = register_buffer("initial_h", zeros({1, h}));
  initial_z_ = register_buffer("initial_z", zeros({1, z}));
}

State StateSpaceModel::initial_state(std::int64_t batch) const {
  return {initial_h_.expand({batch, h_size_}).contiguous(), initial_z_.expand({batch, z_size_}).contiguous()};
}

StepOutput StateSpaceModel::posterior_step(const Tensor& embedding, const Tensor& pre_action, const State& previous,
                                           Generator& gen) const {
  StepOutput out;
  const Tensor h = transition(previous, pre_action);
  out.prior = prior(h);
  out.posterior = posterior(h, embedding);
  out.state = {h, out.posterior->rsample(gen)};
  return out;
}

StepOutput StateSpaceModel::prior_step(const Tensor& pre_action, const State& previous, Generator& gen) const {
  StepOutput out;
  const Tensor h = transition(previous, pre_action);
  out.prior = prior(h);
  out.state = {h, out.prior->rsample(gen)};
  return out;
}

namespace {
void check_sequence(const std::string& who, const Tensor& x, std::int64_t size, const char* what) {
  if (x.dim() != 3 || x.size(2) != size)
    throw ShapeError(who + ": " + what + " must be [T, B, " + std::to_string(size) + "], got " + shape_str(x.shape()));
}
}  // namespace

FilterOutput StateSpaceModel::filter(const Tensor& embeddings, const Tensor& pre_actions, const State& initial,
                                     Generator& gen) const {
  check_sequence(type_name() + "::filter", embeddings, e_size_, "embeddings");
  check_sequence(type_name() + "::filter", pre_actions, a_size_, "pre_actions");
  if (pre_actions.size(0) != embeddings.size(0) || pre_actions.size(1) != embeddings.size(1))
    throw ShapeError(type_name() + "::filter: embeddings " + shape_str(embeddings.shape()) + " and pre_actions " +
                     shape_str(pre_actions.shape()) + " must share [T, B]");
  FilterOutput out;
  State state = initial.h.defined() ? initial : initial_state(embeddings.size(1));
  for (std::int64_t t = 0; t < embeddings.size(0); ++t) {
    StepOutput step = posterior_step(embeddings.select(0, t), pre_actions.select(0, t), state, gen);
    state = step.state;
    out.states.push_back(step.state);
    out.priors.push_back(step.prior);
    out.posteriors.push_back(step.posterior);
  }
  return out;
}

FilterOutput StateSpaceModel::rollout(const State& start, const Tensor& actions, Generator& gen) const {
  check_sequence(type_name() + "::rollout", actions, a_size_, "actions");
  FilterOutput out;
  State state = start;
  for (std::int64_t t = 0; t < actions.size(0); ++t) {
    StepOutput step = prior_step(actions.select(0, t), state, gen);
    state = step.state;
    out.states.push_back(step.state);
    out.priors.push_back(step.prior);
  }
  return out;
}

}  // namespace aime::models
