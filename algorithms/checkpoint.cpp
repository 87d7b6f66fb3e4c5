#include "algorithms/checkpoint.h"

#include <filesystem>

#include "nn/serialize/safetensors.h"

namespace aime::algorithms {

void save_model_checkpoint(const std::string& dir, const models::WorldModel& model, const nn::Optimizer* optimizer,
                           const nn::Metadata& training_state) {
  std::filesystem::create_directories(dir);
  if (optimizer) optimizer->save((std::filesystem::path(dir) / "optimizer.safetensors").string());
  nn::Metadata metadata = model.config().to_metadata();
  for (const auto& [k, v] : training_state) metadata[k] = v;
  metadata["format"] = "aime world model";
  nn::save_safetensors((std::filesystem::path(dir) / "model.safetensors").string(), model.state_dict(), metadata);
}

LoadedModel load_pretrained_model(const std::string& dir, Device device) {
  const std::string path = (std::filesystem::path(dir) / "model.safetensors").string();
  if (!std::filesystem::exists(path)) throw Error(dir + ": not a model folder (no model.safetensors)");
  nn::SafetensorsFile file = nn::load_safetensors(path);
  LoadedModel out;
  out.metadata = file.metadata;
  Generator gen(0);  // the initial weights are overwritten
  out.model = std::make_unique<models::WorldModel>(models::WorldModelConfig::from_metadata(file.metadata), gen);
  out.model->load_state_dict(file.tensors, true);
  out.model->to(device);
  return out;
}

}  // namespace aime::algorithms
