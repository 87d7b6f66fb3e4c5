// AIME's phase 2 (the original's scripts/train_aime.py and SSM.filter_with_policy in
// aime/models/ssm.py; docs/original.md §4): with
// the world model frozen, a policy is trained on observation-only demonstrations by
// maximising the model's ELBO of them, the actions being sampled (reparameterised) from the
// policy on the filtered state instead of read from the data:
//   e_t = enc(o_t);  s_0 = 0;  for t: a_t ~ pi(. | feature(s_{t-1}))  (rsample),
//                                  s_t ~ q(. | h_t(s_{t-1}, a_t), e_t)
//   loss = -sum_outputs log p(o_t | s_t) + kl_scale * KL(q || p) + probe NLLs
// as the original computes it: the reconstruction and the KL reweighted as in phase 1 under
// nll_reweight dim_wise (the decoders' detached std), the KL balanced with the model's
// kl_rebalance unless told otherwise (kl_rebalance below; the original README's phase-2
// command sets world_model.kl_rebalance=null, `aime imitate`'s default), never free nats
// (filter_with_policy has none), and the probes' NLL on detached features (t >= 1) in the
// loss's value, which gives the policy no gradient.
// The recurrence is the state-space model's own filter with the policy as its action source
// (models/state_space_model.h). The gradient flows through the frozen decoder, posterior and
// GRU into the actions and so into the policy. kl_only keeps only kl_scale times the KL
// term as weighted above, no reconstruction and no probes (and runs no decoder but the
// learned-std ones' std networks under dim_wise, for the weight). The first action
// comes from the zero state, and a_t is the `pre_action` of o_t (the action that led to it).
// use_idm (the original's "Appendix C" variant): the actions come from the model's frozen
// inverse-dynamics head q(a_t | feature(s_{t-1}), e_t) instead, and the policy is fitted to
// it by adding kl_scale * sum_t mean_b sum_a KL(q_idm || pi) to the loss.
// oracle_actions (a check, not AIME): the filter reads the demonstrations' true actions and
// the policy regresses them, sum_t mean_b sum_a (tanh(loc_t) - a_t)^2, from the same
// filtered states. It is BC in the model's state space: what AIME could reach with this
// model and this actor if it inferred the actions exactly.
//
// train_aime is the original's train_aime.py around it: the model frozen, Adam (3e-4) on
// the policy only, its gradient clipped at norm 100, batches of 50 demonstration windows
// of 50 steps, epochs x batches_per_epoch steps, a test in the environment every
// test_period epochs (10 episodes) and at the end (100), the policy saved with its model.
#pragma once
#include <map>
#include <string>
#include "algorithms/imitation.h"
#include "data/sequence_dataset.h"
#include "distributed/communicator.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"

namespace aime::algorithms {

struct AimeOptions {
  bool kl_only = false;
  bool use_idm = false;  // needs the model's IDM head
  // Weight of the KL term in the policy's loss; < 0: the model's own kl_scale (the original).
  // A model trained with a small kl_scale (a beta-VAE trick against posterior collapse) can be
  // asked for its true ELBO (1.0) or reconstruction alone (0.0, the original's kl_scale=0 option).
  double kl_scale = -1.0;
  bool oracle_actions = false;  // needs pre_action in the demonstrations
  // KL balancing in the objective: models::ElboOptions::kModel, the model's own kl_rebalance
  // (what the original's code does); < 0 none (the original README's phase-2 setting); or
  // an alpha in [0, 1]. The value of the KL is the same; its gradient is not.
  double kl_rebalance = models::ElboOptions::kModel;
  // The policy reads [h, mean of q(z)] instead of [h, z sampled from q] (the original's). The
  // filter still samples z, and the objective's gradient still flows through that sample.
  // From pixels the small demo models' posterior std is as large as the spread of its means,
  // so the sample buries part of what z carries (docs/results.md, "The pole near upright").
  bool policy_reads_mean = false;
};

struct AimeTerms {
  models::ElboTerms elbo;  // of the demonstrations under the policy's actions
  Tensor loss;             // what the policy minimises
  Tensor actions;          // [T, B, A] the policy's (reparameterised) actions
  Tensor action_mse;       // against the demonstrations' pre_action when present (a metric only)
  Tensor idm_kl;           // with use_idm: sum_t mean_b KL(q_idm || pi)
  // Not kl_only: each probe's NLL (in `loss`, no gradient), for the probes whose sensor the
  // demonstrations hold.
  std::map<std::string, Tensor> probe_loss;
};

// If `demonstrations` holds kEmbeddingKey ([T, B, E], from embed_demonstrations) the encoder
// does not run: those are the frozen encoder's embeddings of the input sensors.
AimeTerms aime_objective(const models::WorldModel& model, models::TanhGaussianPolicy& policy,
                         const Batch& demonstrations, Generator& gen, const AimeOptions& options = {});

inline constexpr const char* kEmbeddingKey = "embedding";

// The demonstrations with the frozen encoder's embedding of every step computed once, as
// the key kEmbeddingKey ([T, E] per episode), for the same windows. The encoder does not
// change while the policy trains, so there is no need to embed a frame again in every batch
// that holds it (from pixels, the encoder was most of a kl_only step). With `reconstruct`
// false (kl_only: no decoder reads a sensor) only the embedding and pre_action are kept,
// so batches copy no images.
data::SequenceDataset embed_demonstrations(const models::WorldModel& model, const data::SequenceDataset& demonstrations,
                                           bool reconstruct);

struct AimeTrainingOptions {
  AimeOptions objective;
  std::int64_t epochs = 500;
  std::int64_t batches_per_epoch = 100;
  std::int64_t batch_size = 50;
  double lr = 3e-4;
  double grad_clip = 100.0;  // on the policy's parameters
  std::uint64_t seed = 42;   // the batches and the model's noise (the policy is built by the caller)
  EvaluationOptions evaluation;         // env empty: no tests
  std::int64_t test_period = 10;        // epochs between tests
  std::int64_t final_test_episodes = 100;
  std::string out_dir;                  // required: metrics.csv, eval.csv, policy.safetensors
  std::string metrics_format = "csv";   // or "csv,tensorboard" (algorithms/metrics_log.h)
  nn::Metadata metadata;                // added to the saved policy's metadata
  // Data-parallel over this communicator's ranks (algorithms/data_parallel.h): batch_size is
  // the global batch; rank 0 alone tests, writes and reports progress. Null: this process.
  distributed::Communicator* communicator = nullptr;
  std::int64_t check_replicas_every = 100;  // steps between checks that the policies agree
};

// Freezes `model`, trains `policy` on the demonstrations (windows of the dataset's horizon),
// embedded once (embed_demonstrations).
ImitationResult train_aime(models::WorldModel& model, models::TanhGaussianPolicy& policy,
                           const data::SequenceDataset& demonstrations, const AimeTrainingOptions& options,
                           const ImitationCallbacks& callbacks = {});

}  // namespace aime::algorithms
