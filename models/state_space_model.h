// StateSpaceModel: the recurrent state-space model at the heart of the world model (RSSM,
// Hafner et al. 2019), as the original builds it (docs/original.md §2). The state
// s_t = (h_t, z_t) has a deterministic part h (a GRU's memory) and a stochastic part z:
//   h_t = f(h_{t-1}, z_{t-1}, a_{t-1})            transition (deterministic)
//   p(z_t | h_t)                                  prior
//   q(z_t | h_t, e_t),  e_t = enc(o_t)            posterior
// The feature a decoder or policy reads is [h_t, z_t]. Concrete models (RSSM, RSSMO) say how
// f, p and q are computed; this class runs them over time.
//
// Shapes: time-major [T, B, ...]; per step [B, ...]. `pre_action` a_{t-1} is the action that
// led to o_t (zeros at t = 0), as the datasets store it.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "autograd/generator.h"
#include "distributions/normal.h"
#include "nn/module.h"

namespace aime::models {

struct State {
  Tensor h;  // [B, H] deterministic
  Tensor z;  // [B, Z] stochastic
  // The mean of the distribution z was drawn from (the posterior's in filtering steps, the
  // prior's in prediction steps); undefined for an initial state, whose z is its own mean.
  Tensor z_mean;
  Tensor feature() const;  // [B, H + Z]: [h, z]
  // [h, mean of z]: the same state without the posterior's sampling noise, for a policy that
  // reads it (AimeOptions::policy_reads_mean; not the original's, which reads feature()).
  Tensor mean_feature() const;
};

// One filtering or prediction step.
struct StepOutput {
  State state;  // with z sampled (rsample) from the posterior, or the prior for prior_step
  std::shared_ptr<distributions::Normal> prior;      // p(z_t | h_t), [B, Z]
  std::shared_ptr<distributions::Normal> posterior;  // q(z_t | h_t, e_t); null for prior_step
};

// Where the action of each step comes from, in filter and rollout:
//   recorded: a_t read from a tensor [T, B, A] (the data's pre_action; a Tensor converts);
//   a policy: a_t = policy(s_prev, t, gen), called once per step in step order, before that
//     step's own noise is drawn: s_prev is s_{t-1} in filter (the original's
//     SSM.filter_with_policy, aime/models/ssm.py: the action that leads to o_t is chosen
//     before o_t is seen) and the current state in rollout (its rollout_with_policy, the
//     imagination of Dreamer). The policy may record what it likes (its distributions, a KL).
class ActionSource {
 public:
  using Policy = std::function<Tensor(const State& previous, std::int64_t t, Generator& gen)>;
  ActionSource(const Tensor& recorded);  // NOLINT(google-explicit-constructor): a tensor is its own source
  // `steps`: how many actions the policy gives (required by rollout; filter takes the
  // embeddings' T when it is < 0).
  static ActionSource from_policy(Policy policy, std::int64_t steps = -1);

  bool is_recorded() const { return !policy_; }
  const Tensor& recorded() const { return recorded_; }
  // Steps this source gives: the recorded T, or the policy's `steps` (< 0: unbounded).
  std::int64_t steps() const { return policy_ ? steps_ : recorded_.size(0); }
  // a_t [B, A] given the state it acts on.
  Tensor action(const State& previous, std::int64_t t, Generator& gen) const;

 private:
  ActionSource() = default;
  Tensor recorded_;
  Policy policy_;
  std::int64_t steps_ = -1;
};

// A whole sequence, time-major. Distributions are over [T, B, Z] at once, so that the KL of
// a sequence is one elementwise pass and priors are one [T*B, .] product (benchmarks/README.md,
// "The levers", 2).
struct FilterOutput {
  Tensor h;  // [T, B, H]: h_1..h_T
  Tensor z;  // [T, B, Z]: z_1..z_T (sampled)
  Tensor actions;  // [T, B, A]: the action each h_t was computed from (a_{t-1}, the pre_action)
  std::shared_ptr<distributions::Normal> prior;      // p(z_t | h_t), [T, B, Z]
  std::shared_ptr<distributions::Normal> posterior;  // q(z_t | h_t, e_t), [T, B, Z]; null for a rollout

  std::int64_t length() const { return h.size(0); }
  State state(std::int64_t t) const;  // s_t (0-based), views of h and z
  State last() const { return state(length() - 1); }
  Tensor features() const;            // [T, B, H + Z]
  // Stacks per-step outputs (all with a posterior, or none) and the actions they took.
  static FilterOutput from_steps(const std::vector<StepOutput>& steps, const std::vector<Tensor>& actions);
};

// What the posterior needs from a whole sequence of embeddings, computed before the
// recurrence: the embeddings themselves, and (for models that split their first layer, see
// nn::SplitFirstLayer) the head weights and the embedding's terms [T, B, .].
struct PosteriorContext {
  Tensor embeddings;                 // [T, B, E]
  std::vector<Tensor> head_weights;  // per first layer that reads [h; e]
  std::vector<Tensor> tail_terms;    // per such layer: [T, B, width]
};

class StateSpaceModel : public nn::Module {
 public:
  StateSpaceModel(std::string type_name, std::int64_t deterministic_size, std::int64_t stochastic_size,
                  std::int64_t action_size, std::int64_t embedding_size);

  std::int64_t deterministic_size() const { return h_size_; }
  std::int64_t stochastic_size() const { return z_size_; }
  std::int64_t feature_size() const { return h_size_ + z_size_; }
  std::int64_t action_size() const { return a_size_; }
  std::int64_t embedding_size() const { return e_size_; }

  // s_0 = (0, 0) for a batch of B (the original's registered zero buffers).
  State initial_state(std::int64_t batch) const;
  // q step: h_t from (s_{t-1}, a_{t-1}), then z_t ~ q(. | h_t, e_t).
  StepOutput posterior_step(const Tensor& embedding, const Tensor& pre_action, const State& previous,
                            Generator& gen) const;
  // p step: h_t from (s_{t-1}, a_{t-1}), then z_t ~ p(. | h_t).
  StepOutput prior_step(const Tensor& pre_action, const State& previous, Generator& gen) const;
  // Filtering: posterior steps over embeddings [T, B, E] from `initial` (s_0 when its parts
  // are undefined), each under its action (recorded pre_actions [T, B, A], or a policy on
  // the previous state). Only the action, the transition and the posterior run per step; the
  // embedding's share of the posterior and every prior run over [T, B] at once.
  FilterOutput filter(const Tensor& embeddings, const ActionSource& actions, const State& initial, Generator& gen) const;
  // Imagination: prior steps from `start` under actions (recorded [K, B, A], or a policy on
  // the current state for its `steps`); K states.
  FilterOutput rollout(const State& start, const ActionSource& actions, Generator& gen) const;

 protected:
  // h_t = f(h_{t-1}, z_{t-1}, a_{t-1}).
  virtual Tensor transition(const State& previous, const Tensor& pre_action) const = 0;
  virtual std::shared_ptr<distributions::Normal> prior(const Tensor& h) const = 0;
  virtual std::shared_ptr<distributions::Normal> posterior(const Tensor& h, const Tensor& embedding) const = 0;
  // The sequence-wide part of the posterior (default: the embeddings only) and the posterior
  // at step t from it; equal to posterior(h, embeddings[t]) up to rounding.
  virtual PosteriorContext prepare_posterior(const Tensor& embeddings) const;
  virtual std::shared_ptr<distributions::Normal> posterior_at(const Tensor& h, const PosteriorContext& context,
                                                              std::int64_t t) const;

 private:
  std::int64_t h_size_, z_size_, a_size_, e_size_;
  Tensor initial_h_, initial_z_;  // buffers [1, H], [1, Z]
};

}  // namespace aime::models
