// WorldModel: the original's SSM (aime/models/ssm.py) as one module with its three uses:
//   filter:  states q(s_1:T | o_1:T, a_0:T-1) from observations and actions;
//   imagine: p(s_t+1:t+k | s_t, a_t:t+k-1) and the decoded observations;
//   elbo:    the evidence lower bound of log p(o_1:T | a_0:T-1), per sensor and per step,
//            and the training loss built from it (docs/original.md §2 "Loss"):
//     rec   = sum_outputs mean_b sum_t sum_dims log p(o_t | s_t)      (x sg(std) with dim_wise)
//     KL_t  = KL(q_t || p_t) per dim (balanced with kl_rebalance), free nats on sum_d
//     loss  = -rec + kl_scale * mean_b sum_t sum_d KL_t (x mean sg(std) with dim_wise)
//             + probe NLLs (detached features, t >= 1) + IDM loss (detached, mean_t sum_b)
// Batches (models/sensors.h) are time-major: sensor -> [T, B, ...] float32 plus `pre_action`
// [T, B, A]; images [T, B, 3, 64, 64] in [0, 1]. The architecture comes from a
// WorldModelConfig (models/world_model_config.h). The model knows nothing of files (data/
// builds batches; algorithms/ trains).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/decoders.h"
#include "models/encoders.h"
#include "models/sensors.h"
#include "models/state_space_model.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model_config.h"

namespace aime::models {

// What the ELBO's loss holds. Say which with the named constructors, never with bare flags.
struct ElboOptions {
  // Run the decoders. Without, only the KL terms are filled (elbo, reconstruction and mse
  // stay empty): what AIME's kl_only needs, at a fraction of the cost from pixels (under
  // dim_wise only the learned-std decoders' std networks run, for the KL's weight).
  bool reconstruct = true;
  // Free nats as configured (phase 1 only: the original's filter_with_policy has none).
  bool free_nats = true;
  // KL balancing alpha: < -1.5 (kModel) the model's own kl_rebalance; < 0 none; else alpha.
  double kl_rebalance = kModel;
  // The probe and IDM losses in `loss` (phase 1).
  bool heads = true;
  static constexpr double kModel = -2.0;
  static ElboOptions training() { return {true, true, kModel, true}; }
  // AIME's phase-2 objective through the frozen model, as the original's
  // SSM.filter_with_policy computes it: the KL balanced as the model is (or as
  // `kl_rebalance` says), no free nats, no heads; kl_only runs no decoder mean.
  static ElboOptions policy_objective(bool kl_only, double kl_rebalance = kModel) {
    return {!kl_only, false, kl_rebalance, false};
  }
};

struct ElboTerms {
  Tensor loss;                                    // scalar to minimise: reconstruction_loss + kl_scale * kl_loss (+ heads)
  Tensor reconstruction_loss;                     // scalar: -sum of (reweighted) reconstruction log-likelihoods
  Tensor kl_loss;                                 // scalar: the KL term as trained (balanced, free nats, reweighted), unscaled
  Tensor elbo;                                    // scalar: sum of reconstruction log-likelihoods - KL
  Tensor kl;                                      // scalar: mean_b sum_t sum_d KL (the true value)
  Tensor kl_per_step;                             // [T]: mean_b sum_d KL
  std::map<std::string, Tensor> reconstruction;   // per output: mean_b sum_t sum_dims log p
  std::map<std::string, Tensor> reconstruction_per_step;  // per output: [T]
  std::map<std::string, Tensor> mse;              // per output: mean squared error of the decoded mean
  std::map<std::string, Tensor> probe_loss;       // per probe: NLL on detached features
  Tensor idm_loss;                                // undefined without the IDM head
  FilterOutput filtered;
  Tensor embeddings;                              // [T, B, E]: what filtered was computed from (Plan2Explore's targets)
};

class WorldModel : public nn::Module {
 public:
  explicit WorldModel(const WorldModelConfig& config, Generator& gen = default_generator());
  const WorldModelConfig& config() const { return config_; }
  // The state-space model (RSSM or RSSMO), the one handle to it.
  const StateSpaceModel& ssm() const { return *ssm_; }

  // Embeddings [T, B, E] of a batch's input sensors.
  Tensor embed(const Batch& batch) const;
  // States of the batch under its own pre_action.
  FilterOutput filter(const Batch& batch, Generator& gen) const;
  // The training loss and its terms: filter, then elbo_of(..., ElboOptions::training()).
  ElboTerms elbo(const Batch& batch, Generator& gen) const;
  // The ELBO terms of states already filtered (by filter, or under a policy's actions as
  // AIME does) from `embeddings`, against the batch's output sensors.
  ElboTerms elbo_of(const FilterOutput& filtered, const Tensor& embeddings, const Batch& batch,
                    const ElboOptions& options) const;
  // Filters the first `context` steps, then imagines the rest of the batch's steps from the
  // last filtered state under the batch's own actions; returns the decoded means of each
  // output sensor over all T steps ([T, B, ...]: posterior reconstructions for t < context,
  // open-loop predictions after).
  std::map<std::string, Tensor> imagine(const Batch& batch, std::int64_t context, Generator& gen) const;
  // The original's generate: prior steps from `start` under actions [K, B, A], decoded:
  // sensor -> [K, B, ...] means.
  std::map<std::string, Tensor> generate(const State& start, const Tensor& actions, Generator& gen) const;
  // Each probe's NLL from the detached features [T, B, F] of steps 1..T-1 (mean_b sum_t
  // sum_dims); require_all false skips probes whose sensor the batch lacks.
  std::map<std::string, Tensor> probe_losses(const Tensor& features, const Batch& batch, bool require_all) const;

  std::shared_ptr<MultimodalEncoder> encoder;
  std::map<std::string, std::shared_ptr<Decoder>> decoders, probe_decoders;
  std::shared_ptr<TanhGaussianPolicy> idm;

 private:
  std::shared_ptr<Decoder> make_decoder(const SensorSpec& s, bool probe, Generator& gen);
  const Tensor& require(const Batch& batch, const std::string& key) const;

  WorldModelConfig config_;
  std::shared_ptr<StateSpaceModel> ssm_;
};

}  // namespace aime::models
