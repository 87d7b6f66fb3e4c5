// AIME's phase 2 (reference facts, section 4; the original's SSM.filter_with_policy): with
// the world model frozen, a policy is trained on observation-only demonstrations by
// maximising the model's ELBO of them, the actions being sampled (reparameterised) from the
// policy on the filtered state instead of read from the data:
//   e_t = enc(o_t);  s_0 = 0;  for t: a_t ~ pi(. | feature(s_{t-1}))  (rsample),
//                                  s_t ~ q(. | h_t(s_{t-1}, a_t), e_t)
//   loss = -sum_outputs log p(o_t | s_t) + kl_scale * KL(q || p)   (no free nats, no balancing)
// The gradient flows through the frozen decoder, posterior and GRU into the actions and so
// into the policy. kl_only keeps only the KL term. The first action comes from the zero
// state, and a_t is the `pre_action` of o_t (the action that led to it).
#pragma once
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"

namespace aime::algorithms {

struct AimeOptions {
  bool kl_only = false;
};

struct AimeTerms {
  models::ElboTerms elbo;  // of the demonstrations under the policy's actions
  Tensor loss;             // what the policy minimises
  Tensor actions;          // [T, B, A] the policy's (reparameterised) actions
  Tensor action_mse;       // against the demonstrations' pre_action when present (a metric only)
};

AimeTerms aime_objective(const models::WorldModel& model, models::TanhGaussianPolicy& policy,
                         const models::SensorBatch& demonstrations, Generator& gen, const AimeOptions& options = {});

}  // namespace aime::algorithms
