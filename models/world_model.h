// WorldModel: the original's SSM (aime/models/ssm.py) as one module with its three uses:
//   filter:  states q(s_1:T | o_1:T, a_0:T-1) from observations and actions;
//   imagine: p(s_t+1:t+k | s_t, a_t:t+k-1) and the decoded observations;
//   elbo:    the evidence lower bound of log p(o_1:T | a_0:T-1), per sensor and per step,
//            and the training loss built from it (reference facts, section 2 "Loss"):
//     rec   = sum_outputs mean_b sum_t sum_dims log p(o_t | s_t)      (x sg(std) with dim_wise)
//     KL_t  = KL(q_t || p_t) per dim (balanced with kl_rebalance), free nats on sum_d
//     loss  = -rec + kl_scale * mean_b sum_t sum_d KL_t (x mean sg(std) with dim_wise)
//             + probe NLLs (detached features, t >= 1) + IDM loss (detached, mean_t sum_b)
// Batches are time-major maps sensor -> [T, B, ...] float32 plus `pre_action` [T, B, A];
// images [T, B, 3, 64, 64] in [0, 1]. The model knows nothing of files (data/ builds
// batches; algorithms/ trains).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "distributions/gaussian_likelihood.h"
#include "models/decoders.h"
#include "models/encoders.h"
#include "models/rssm.h"
#include "models/tanh_gaussian_policy.h"
#include "nn/state_dict.h"

namespace aime::models {

using SensorBatch = std::map<std::string, Tensor>;

struct SensorSpec {
  std::string name;
  Shape shape;  // per step after preprocessing: [3, 64, 64] for an image, [D] for a vector
  bool is_image() const { return shape.size() == 3; }
  std::int64_t size() const { return numel_of(shape); }
};

// Sensor lists as text, "image:3x64x64,velocity:1" (checkpoint metadata); `key` names the
// field in errors.
std::string sensors_to_text(const std::vector<SensorSpec>& sensors);
std::vector<SensorSpec> sensors_from_text(const std::string& text, const std::string& key);

// The original's environment setups (reference facts, section 6): which sensors go in,
// which are reconstructed, which are only probed.
enum class Setup { Visual, LPOMDP, MDP };
Setup parse_setup(const std::string& name);  // "visual", "lpomdp", "mdp"
std::string setup_name(Setup setup);

struct WorldModelConfig {
  std::string model = "rssm";  // or "rssmo"
  std::vector<SensorSpec> inputs, outputs, probes;
  std::int64_t action_size = 0;
  RSSMOptions rssm;
  RSSMOOptions rssmo;
  distributions::NllReweight nll_reweight = distributions::NllReweight::DimWise;
  double kl_scale = 1.0;
  double free_nats = 0.0;
  double kl_rebalance = -1.0;  // < 0: none (plain KL(q || p))
  bool idm = true;             // idm_mode "detach"
  // Heads: vector decoders, probes, IDM.
  std::int64_t head_hidden_size = 128;
  std::int64_t head_hidden_layers = 2;
  bool head_layer_norm = false;
  std::string head_activation = "elu";
  bool stochastic_vector_decoder = true;  // smlp (RSSM) or dmlp (RSSMO)
  // Base width of the cnn_ha encoder and decoder (channels 1x, 2x, 4x, 8x): the original's
  // 32; smaller for laptop-sized runs (the README's demo uses 8).
  std::int64_t cnn_width = 32;

  // The original's effective defaults (mind the config-merge trap, facts section 3): RSSM
  // inherits dim_wise / no free nats / no balancing / smlp 128x2 decoders from the main
  // config; RSSMO brings none / free nats 1 / balance 0.8 / min_std 0.1 / dmlp 512x2 (LN,
  // SiLU) and one shared vector encoder. `sensors` are the dataset's per-step sensors
  // (an image [3, 64, 64] and vectors); "velocity" is the second-order sensor.
  static WorldModelConfig original(const std::string& model, Setup setup, const std::vector<SensorSpec>& sensors,
                                   std::int64_t action_size);

  // As string pairs (keys "world_model.*"), stored next to the weights in a checkpoint so
  // that a model folder rebuilds itself; from_metadata names a missing or bad key.
  nn::Metadata to_metadata() const;
  static WorldModelConfig from_metadata(const nn::Metadata& metadata);
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
};

class WorldModel : public nn::Module {
 public:
  explicit WorldModel(const WorldModelConfig& config, Generator& gen = default_generator());
  const WorldModelConfig& config() const { return config_; }
  const StateSpaceModel& ssm() const { return *ssm_; }

  // Embeddings [T, B, E] of a batch's input sensors.
  Tensor embed(const SensorBatch& batch) const;
  FilterOutput filter(const SensorBatch& batch, Generator& gen) const;
  ElboTerms elbo(const SensorBatch& batch, Generator& gen) const;
  // The ELBO terms of states already filtered (by filter, or by AIME's filter with a
  // policy's actions). With `training` the loss carries KL balancing, free nats, probe and
  // IDM losses as configured; without, it is the plain negative ELBO (the original's
  // filter_with_policy objective: no free nats, no balancing, no heads). Without
  // `reconstruct` no decoder runs: only the KL terms are filled (elbo, reconstruction and mse
  // stay empty; AIME's kl_only).
  ElboTerms elbo_of(const FilterOutput& filtered, const Tensor& embeddings, const SensorBatch& batch,
                    bool training, bool reconstruct = true) const;
  // Filters the first `context` steps, then imagines the rest of the batch's steps from the
  // last filtered state under the batch's own actions; returns the decoded means of each
  // output sensor over all T steps ([T, B, ...]: posterior reconstructions for t < context,
  // open-loop predictions after).
  std::map<std::string, Tensor> imagine(const SensorBatch& batch, std::int64_t context, Generator& gen) const;
  // The original's generate: prior steps from `start` under actions [K, B, A], decoded:
  // sensor -> [K, B, ...] means.
  std::map<std::string, Tensor> generate(const State& start, const Tensor& actions, Generator& gen) const;

  std::shared_ptr<MultimodalEncoder> encoder;
  std::shared_ptr<StateSpaceModel> ssm_module;
  std::map<std::string, std::shared_ptr<Decoder>> decoders, probe_decoders;
  std::shared_ptr<TanhGaussianPolicy> idm;

 private:
  std::shared_ptr<Decoder> make_decoder(const SensorSpec& s, bool probe, Generator& gen);
  const Tensor& require(const SensorBatch& batch, const std::string& key) const;

  WorldModelConfig config_;
  StateSpaceModel* ssm_ = nullptr;
};

}  // namespace aime::models
