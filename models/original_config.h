// The original's config.yaml (OmegaConf.save of a run's composed Hydra config, next to
// model.pt in its released folders), mapped onto WorldModelConfig as the original composes
// it (aime/utils.py: get_inputs_outputs, parse_world_model_config; docs/pytorch-format.md):
//   environment_setup       which of env.sensors are encoded, reconstructed and probed, by
//                           each sensor's `modility` and `order`, in the file's order;
//   world_model             name, state_dim [h, z], hidden_size / hidden_layers (the IDM,
//                           and RSSM's four MLPs), norm, the loss options, and per modality
//                           the encoders, decoders and probes;
//   sizes                   from the state dict's shapes (a folder loads without the env).
// Read with yaml-cpp (Debian libyaml-cpp-dev). What aime does not do is refused with an
// error naming the key and the value (nll_reweight: modility_wise, idm_mode: end2end,
// decoder ssmlp, norm: bn, ...); a missing or unknown key inside world_model, or in a
// sensor of env.sensors, is an error too. Top-level keys that concern training only
// (batch_size, model_lr, log_name, ...) are kept in `run` or ignored.
//
// Built without yaml-cpp, reading and writing throw an Error that says what to install.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/world_model_config.h"
#include "nn/state_dict.h"

namespace aime::models {

// What config.yaml says besides the world model.
struct OriginalRun {
  std::string env_class = "dmc";
  std::string embodiment, task;  // env.embodiment, env.task ("walker", "walk")
  std::int64_t action_repeat = 2;
  std::int64_t seed = 42;
  std::string dataset;  // embodiment_dataset_name, if any
  Setup setup = Setup::Visual;
  std::string env() const { return embodiment + "-" + task; }  // aime's --env name
  // From aime's --env name ("walker-walk"; "unknown" for a missing part).
  void set_env(const std::string& name);
};

struct OriginalConfig {
  WorldModelConfig world_model;
  OriginalRun run;
};

// `original` is model.pt's state dict under the original's names (for the sizes); `source`
// names the file in errors.
OriginalConfig parse_original_config(const std::string& yaml, const std::string& source, const nn::StateDict& original);
OriginalConfig read_original_config(const std::string& path, const nn::StateDict& original);

// The config.yaml of `config` in the original's layout (what its load_pretrained_model
// reads). ValueError where the original cannot express the config (a cnn_width other than
// its 32, an activation it lacks).
std::string original_config_yaml(const WorldModelConfig& config, const OriginalRun& run);

// Whether this build reads and writes YAML (yaml-cpp was found).
bool have_yaml();

}  // namespace aime::models
