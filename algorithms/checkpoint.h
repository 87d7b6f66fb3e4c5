// Model folders: what a training run writes and load_pretrained_model reads back (the
// original's helper of the same name):
//   model.safetensors      weights, with the world model's config and the training state
//                          (step, generator offsets) in its metadata;
//   optimizer.safetensors  the optimiser's state (Adam moments, step), for --resume.
// One checkpoint is one consistent pair: both files carry the same train.step and
// train.run_id, and a crash at any moment leaves the old pair or the new one. Each file is
// written atomically; the optimiser goes first to optimizer.next.safetensors, then the
// model, then the optimiser is renamed into place. resume_checkpoint finishes or discards
// an interrupted write (by the steps recorded in the files) and refuses a pair that
// disagrees.
//
// The original's released folders load as they are (docs/pytorch-format.md):
//   model.pt       torch.save(model.state_dict()) of its SSM (nn/serialize/torch_checkpoint.h);
//   config.yaml    the run's Hydra config (models/original_config.h);
//   policy.pt      after phase 2, the TanhGaussianPolicy (algorithms/policy_checkpoint.h).
// save_original_model writes the same layout, which the original's load_pretrained_model
// reads with strict key matching.
#pragma once
#include <memory>
#include <string>

#include "models/original_config.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"
#include "nn/optim/optimizer.h"

namespace aime::algorithms {

void save_model_checkpoint(const std::string& dir, const models::WorldModel& model, const nn::Optimizer* optimizer,
                           const nn::Metadata& training_state);

// The optimiser file of a folder's checkpoint, after completing or discarding an interrupted
// write: model.safetensors's train.step (and train.run_id) must equal the optimiser's, else a
// ValueError names both files and their steps. `metadata` is model.safetensors's.
std::string resume_checkpoint(const std::string& dir, const nn::Metadata& metadata);

// A non-negative integer from checkpoint metadata; ValueError naming `file` and `key`.
std::int64_t metadata_integer(const nn::Metadata& metadata, const std::string& key, const std::string& file);

struct LoadedModel {
  std::unique_ptr<models::WorldModel> model;
  nn::Metadata metadata;  // everything stored with the weights (config and training state)
};

// Builds the world model from the folder's config and loads its weights (strict): an aime
// folder (model.safetensors) or an original one (model.pt + config.yaml). For an original
// folder the metadata holds the config's world_model.* keys, format "original", and
// original.env / original.setup / original.action_repeat / original.seed from config.yaml.
LoadedModel load_pretrained_model(const std::string& dir, Device device = Device::cpu());

// Whether `dir` is an original folder (model.pt, and no model.safetensors beside it).
bool is_original_folder(const std::string& dir);

// The original's run description of a model (its folder's metadata and config): from
// config.yaml (original.*) or from what aime's training recorded (train.env "walker-walk",
// train.setup); `action_repeat` where neither says.
models::OriginalRun original_run_of(const nn::Metadata& metadata, const models::WorldModelConfig& config,
                                    std::int64_t action_repeat = 2);

// Writes model.pt and config.yaml (and policy.pt when given), each atomically.
void save_original_model(const std::string& dir, const models::WorldModel& model, const models::OriginalRun& run,
                         const models::TanhGaussianPolicy* policy = nullptr);

}  // namespace aime::algorithms
