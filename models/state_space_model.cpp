#include "models/state_space_model.h"

#include "autograd/api.h"

namespace aime::models {

Tensor State::feature() const { return cat({h, z}, -1); }
Tensor State::mean_feature() const { return cat({h, z_mean.defined() ? z_mean : z}, -1); }

State FilterOutput::state(std::int64_t t) const {
  const auto& drawn_from = posterior ? posterior : prior;  // what z_t was sampled from
  return {h.select(0, t), z.select(0, t), drawn_from ? drawn_from->mean().select(0, t) : Tensor()};
}

Tensor FilterOutput::features() const { return cat({h, z}, -1); }

namespace {
std::shared_ptr<distributions::Normal> stack_normals(const std::vector<std::shared_ptr<distributions::Normal>>& steps) {
  std::vector<Tensor> loc, scale;
  for (const auto& d : steps) {
    loc.push_back(d->loc());
    scale.push_back(d->scale());
  }
  return std::make_shared<distributions::Normal>(stack(loc, 0), stack(scale, 0));
}
}  // namespace

ActionSource::ActionSource(const Tensor& recorded) : recorded_(recorded) {}

ActionSource ActionSource::from_policy(Policy policy, std::int64_t steps) {
  if (!policy) throw ValueError("ActionSource::from_policy: no policy");
  ActionSource source;
  source.policy_ = std::move(policy);
  source.steps_ = steps;
  return source;
}

Tensor ActionSource::action(const State& previous, std::int64_t t, Generator& gen) const {
  return policy_ ? policy_(previous, t, gen) : recorded_.select(0, t);
}

FilterOutput FilterOutput::from_steps(const std::vector<StepOutput>& steps, const std::vector<Tensor>& actions) {
  if (steps.empty()) throw ValueError("FilterOutput::from_steps: no steps");
  if (actions.size() != steps.size())
    throw ValueError("FilterOutput::from_steps: " + std::to_string(steps.size()) + " steps but " +
                     std::to_string(actions.size()) + " actions");
  std::vector<Tensor> hs, zs;
  std::vector<std::shared_ptr<distributions::Normal>> priors, posteriors;
  for (const auto& s : steps) {
    hs.push_back(s.state.h);
    zs.push_back(s.state.z);
    priors.push_back(s.prior);
    if (s.posterior) posteriors.push_back(s.posterior);
  }
  if (!posteriors.empty() && posteriors.size() != steps.size())
    throw ValueError("FilterOutput::from_steps: some steps have a posterior and some do not");
  FilterOutput out;
  out.h = stack(hs, 0);
  out.z = stack(zs, 0);
  out.actions = stack(actions, 0);
  out.prior = stack_normals(priors);
  if (!posteriors.empty()) out.posterior = stack_normals(posteriors);
  return out;
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
  return {initial_h_.expand({batch, h_size_}).contiguous(), initial_z_.expand({batch, z_size_}).contiguous(), Tensor()};
}

StepOutput StateSpaceModel::posterior_step(const Tensor& embedding, const Tensor& pre_action, const State& previous,
                                           Generator& gen) const {
  StepOutput out;
  const Tensor h = transition(previous, pre_action);
  out.prior = prior(h);
  out.posterior = posterior(h, embedding);
  out.state = {h, out.posterior->rsample(gen), out.posterior->mean()};
  return out;
}

StepOutput StateSpaceModel::prior_step(const Tensor& pre_action, const State& previous, Generator& gen) const {
  StepOutput out;
  const Tensor h = transition(previous, pre_action);
  out.prior = prior(h);
  out.state = {h, out.prior->rsample(gen), out.prior->mean()};
  return out;
}

namespace {
void check_sequence(const std::string& who, const Tensor& x, std::int64_t size, const char* what) {
  if (x.dim() != 3 || x.size(2) != size)
    throw ShapeError(who + ": " + what + " must be [T, B, " + std::to_string(size) + "], got " + shape_str(x.shape()));
}

// a_t from the source; a policy's must be [B, A] (recorded ones were checked as a whole).
Tensor checked_action(const ActionSource& actions, const State& previous, std::int64_t t, Generator& gen,
                      std::int64_t a_size, const std::string& who) {
  Tensor a = actions.action(previous, t, gen);
  const std::int64_t B = previous.h.size(0);
  if (!actions.is_recorded() && (a.dim() != 2 || a.size(0) != B || a.size(1) != a_size))
    throw ShapeError(who + ": the policy's action at step " + std::to_string(t) + " must be [" + std::to_string(B) + ", " +
                     std::to_string(a_size) + "], got " + shape_str(a.shape()));
  return a;
}
}  // namespace

FilterOutput StateSpaceModel::filter(const Tensor& embeddings, const ActionSource& actions, const State& initial,
                                     Generator& gen) const {
  const std::string who = type_name() + "::filter";
  check_sequence(who, embeddings, e_size_, "embeddings");
  if (embeddings.size(0) < 1) throw ShapeError(who + ": no steps (T = 0)");
  const std::int64_t T = embeddings.size(0), B = embeddings.size(1);
  if (actions.is_recorded()) {
    const Tensor& pre_actions = actions.recorded();
    check_sequence(who, pre_actions, a_size_, "pre_actions");
    if (pre_actions.size(0) != T || pre_actions.size(1) != B)
      throw ShapeError(who + ": embeddings " + shape_str(embeddings.shape()) + " and pre_actions " +
                       shape_str(pre_actions.shape()) + " must share [T, B]");
  } else if (actions.steps() >= 0 && actions.steps() != T) {
    throw ShapeError(who + ": the policy gives " + std::to_string(actions.steps()) + " actions for " + std::to_string(T) +
                     " steps");
  }
  const PosteriorContext context = prepare_posterior(embeddings);
  State state = initial.h.defined() ? initial : initial_state(B);
  std::vector<Tensor> hs, zs, taken;
  std::vector<std::shared_ptr<distributions::Normal>> posteriors;
  // Each weight of the steps below is packed once for all T steps (autograd/weight_pack.h).
  const WeightPackScope packed_weights;
  for (std::int64_t t = 0; t < T; ++t) {  // the sequential part
    const Tensor a = checked_action(actions, state, t, gen, a_size_, who);
    const Tensor h = transition(state, a);
    posteriors.push_back(posterior_at(h, context, t));
    state = {h, posteriors.back()->rsample(gen), posteriors.back()->mean()};
    hs.push_back(state.h);
    zs.push_back(state.z);
    if (!actions.is_recorded()) taken.push_back(a);
  }
  FilterOutput out;
  out.h = stack(hs, 0);
  out.z = stack(zs, 0);
  out.actions = actions.is_recorded() ? actions.recorded() : stack(taken, 0);
  out.posterior = stack_normals(posteriors);
  out.prior = prior(out.h);  // every p(z_t | h_t) in one pass over [T, B, H]
  return out;
}

PosteriorContext StateSpaceModel::prepare_posterior(const Tensor& embeddings) const { return {embeddings, {}, {}}; }

std::shared_ptr<distributions::Normal> StateSpaceModel::posterior_at(const Tensor& h, const PosteriorContext& context,
                                                                     std::int64_t t) const {
  return posterior(h, context.embeddings.select(0, t));
}

FilterOutput StateSpaceModel::rollout(const State& start, const ActionSource& actions, Generator& gen) const {
  const std::string who = type_name() + "::rollout";
  if (actions.is_recorded()) check_sequence(who, actions.recorded(), a_size_, "actions");
  const std::int64_t K = actions.steps();
  if (K < 1) throw ShapeError(who + (actions.is_recorded() ? ": no actions" : ": a policy rollout needs steps >= 1"));
  std::vector<StepOutput> steps;
  std::vector<Tensor> taken;
  State state = start;
  const WeightPackScope packed_weights;
  for (std::int64_t t = 0; t < K; ++t) {
    taken.push_back(checked_action(actions, state, t, gen, a_size_, who));
    steps.push_back(prior_step(taken.back(), state, gen));
    state = steps.back().state;
  }
  return FilterOutput::from_steps(steps, taken);
}

}  // namespace aime::models
