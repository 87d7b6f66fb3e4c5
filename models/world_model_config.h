// WorldModelConfig: everything that fixes a world model's architecture and loss, without the
// model: which sensors it encodes, reconstructs and probes, the state-space model's sizes,
// the heads, and the loss options (nll_reweight, kl_scale, free nats, KL balancing). It comes
// from the original's effective defaults (`original`, after its config merge: see
// docs/original.md §3) and travels as string metadata next to the weights, so that a model
// folder rebuilds itself (`to_metadata` / `from_metadata`).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "distributions/gaussian_likelihood.h"
#include "models/rssm.h"
#include "models/sensors.h"
#include "nn/state_dict.h"

namespace aime::models {

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
  // Heads: vector decoders (and, unless set apart below, the probes and the IDM).
  std::int64_t head_hidden_size = 128;
  std::int64_t head_hidden_layers = 2;
  bool head_layer_norm = false;
  std::string head_activation = "elu";
  bool stochastic_vector_decoder = true;  // smlp (RSSM) or dmlp (RSSMO)
  // Where the original configures them apart (its world_model.probes.tabular, and the IDM on
  // world_model.hidden_size/hidden_layers with ELU and no norm): unset = as the decoders.
  struct Head {
    std::int64_t hidden_size = 128;
    std::int64_t hidden_layers = 2;
    bool layer_norm = false;
    std::string activation = "elu";
  };
  std::optional<Head> probe_head;
  std::int64_t idm_hidden_size = -1, idm_hidden_layers = -1;  // < 0: as the decoders
  // The MLP over the vector inputs (the original's encoders.tabular "mlp", have_head false):
  // unset = the model's default (RSSM: identity; RSSMO: 512 x 2, LayerNorm, SiLU).
  std::optional<Head> vector_encoder;
  // Base width of the cnn_ha encoder and decoder (channels 1x, 2x, 4x, 8x): the original's
  // 32; smaller for laptop-sized runs (the demo, scripts/demo.sh, uses 8).
  std::int64_t cnn_width = 32;

  // The original's effective defaults (mind the config-merge trap, docs/original.md §3 and
  // §8): RSSM inherits dim_wise / no free nats / no balancing / smlp 128x2 decoders from the
  // main config; RSSMO brings none / free nats 1 / balance 0.8 / min_std 0.1 / dmlp 512x2
  // (LN, SiLU) and one shared vector encoder. `sensors` are the dataset's per-step sensors,
  // split into inputs, outputs and probes by the setup (sensor_roles).
  static WorldModelConfig original(const std::string& model, Setup setup, const std::vector<SensorSpec>& sensors,
                                   std::int64_t action_size);

  // The number of parameters of the WorldModel this config builds, computed from the sizes
  // alone (in double: a bad config's count may not fit 64 bits), so that a config can be
  // refused before anything is allocated. Equal to WorldModel(config).num_parameters()
  // (tests/models/world_model_config_test.cpp).
  double parameter_count() const;
  // Field by field: every size in its range (layers 0..64, widths 1..2^20, sensors and
  // actions of at most 2^24 values, images [C <= 16, 64, 64] or [C <= 16, 32, 32]), and the model with its
  // gradients and Adam's two moments (16 bytes a parameter) within this machine's memory.
  // ValueError naming the key ("world_model.hidden_layers ...") and the figures; the
  // constructor of WorldModel calls it.
  void validate() const;

  // As string pairs (keys "world_model.*"), stored next to the weights in a checkpoint so
  // that a model folder rebuilds itself; from_metadata names a missing or bad key.
  nn::Metadata to_metadata() const;
  static WorldModelConfig from_metadata(const nn::Metadata& metadata);
};

}  // namespace aime::models
