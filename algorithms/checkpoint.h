// Model folders: what a training run writes and load_pretrained_model reads back (the
// original's helper of the same name):
//   model.safetensors      weights, with the world model's config and the training state
//                          (step, generator offsets) in its metadata;
//   optimizer.safetensors  the optimiser's state (Adam moments, step), for --resume.
// Both written atomically, the optimiser first, so a folder never pairs new weights with
// an old optimiser.
#pragma once
#include <memory>
#include <string>

#include "models/world_model.h"
#include "nn/optim/optimizer.h"

namespace aime::algorithms {

void save_model_checkpoint(const std::string& dir, const models::WorldModel& model, const nn::Optimizer* optimizer,
                           const nn::Metadata& training_state);

struct LoadedModel {
  std::unique_ptr<models::WorldModel> model;
  nn::Metadata metadata;  // everything stored with the weights (config and training state)
};

// Builds the world model from the folder's config and loads its weights (strict).
LoadedModel load_pretrained_model(const std::string& dir, Device device = Device::cpu());

}  // namespace aime::algorithms
