#include "algorithms/checkpoint.h"

#include <filesystem>

#include "io/atomic_file.h"
#include "models/original_names.h"
#include "nn/serialize/safetensors.h"
#include "nn/serialize/torch_checkpoint.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

void save_model_checkpoint(const std::string& dir, const models::WorldModel& model, const nn::Optimizer* optimizer,
                           const nn::Metadata& training_state) {
  fs::create_directories(dir);
  if (optimizer) optimizer->save((fs::path(dir) / "optimizer.safetensors").string());
  nn::Metadata metadata = model.config().to_metadata();
  for (const auto& [k, v] : training_state) metadata[k] = v;
  metadata["format"] = "aime world model";
  nn::save_safetensors((fs::path(dir) / "model.safetensors").string(), model.state_dict(), metadata);
}

bool is_original_folder(const std::string& dir) {
  return !fs::exists(fs::path(dir) / "model.safetensors") && fs::exists(fs::path(dir) / "model.pt");
}

namespace {

LoadedModel load_original_model(const std::string& dir, Device device) {
  const std::string weights = (fs::path(dir) / "model.pt").string(), yaml = (fs::path(dir) / "config.yaml").string();
  if (!fs::exists(yaml))
    throw Error(dir + ": an original model folder needs config.yaml beside model.pt (it says which model the weights are)");
  const nn::StateDict original = nn::load_torch_checkpoint(weights);
  const models::OriginalConfig config = models::read_original_config(yaml, original);
  LoadedModel out;
  out.metadata = config.world_model.to_metadata();
  out.metadata["format"] = "original";
  out.metadata["original.env"] = config.run.env();
  out.metadata["original.env_class"] = config.run.env_class;
  out.metadata["original.setup"] = setup_name(config.run.setup);
  out.metadata["original.action_repeat"] = std::to_string(config.run.action_repeat);
  out.metadata["original.seed"] = std::to_string(config.run.seed);
  if (!config.run.dataset.empty()) out.metadata["original.dataset"] = config.run.dataset;
  Generator gen(0);  // the initial weights are overwritten
  out.model = std::make_unique<models::WorldModel>(config.world_model, gen);
  models::load_original_state_dict(*out.model, original, weights);
  out.model->to(device);
  return out;
}

}  // namespace

LoadedModel load_pretrained_model(const std::string& dir, Device device) {
  if (is_original_folder(dir)) return load_original_model(dir, device);
  const std::string path = (fs::path(dir) / "model.safetensors").string();
  if (!fs::exists(path))
    throw Error(dir + ": not a model folder (no model.safetensors, nor the original's model.pt + config.yaml)");
  nn::SafetensorsFile file = nn::load_safetensors(path);
  LoadedModel out;
  out.metadata = file.metadata;
  Generator gen(0);  // the initial weights are overwritten
  out.model = std::make_unique<models::WorldModel>(models::WorldModelConfig::from_metadata(file.metadata), gen);
  out.model->load_state_dict(file.tensors, true);
  out.model->to(device);
  return out;
}

models::OriginalRun original_run_of(const nn::Metadata& metadata, const models::WorldModelConfig& c,
                                    std::int64_t action_repeat) {
  const auto get = [&](const std::string& key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  models::OriginalRun run;
  run.action_repeat = action_repeat;
  std::string env = get("original.env");
  if (!env.empty()) {
    run.env_class = get("original.env_class").empty() ? run.env_class : get("original.env_class");
    run.action_repeat = std::stoll(get("original.action_repeat"));
    run.seed = std::stoll(get("original.seed"));
    run.dataset = get("original.dataset");
    run.setup = models::parse_setup(get("original.setup") == "pomdp" ? "lpomdp" : get("original.setup"));
  } else {
    env = get("train.env");
    if (!get("train.seed").empty()) run.seed = std::stoll(get("train.seed"));
    bool image = false;
    for (const auto& s : c.inputs) image = image || s.is_image();
    run.setup = !get("train.setup").empty() ? models::parse_setup(get("train.setup"))
                                            : (image ? models::Setup::Visual
                                                     : (c.probes.empty() ? models::Setup::MDP : models::Setup::LPOMDP));
  }
  run.set_env(env);
  return run;
}

void save_original_model(const std::string& dir, const models::WorldModel& model, const models::OriginalRun& run,
                         const models::TanhGaussianPolicy* policy) {
  const std::string yaml = models::original_config_yaml(model.config(), run);  // refuses what the original cannot say
  fs::create_directories(dir);
  nn::save_torch_checkpoint((fs::path(dir) / "model.pt").string(), models::to_original_state_dict(model));
  if (policy) nn::save_torch_checkpoint((fs::path(dir) / "policy.pt").string(), models::to_original_state_dict(*policy));
  io::write_file_atomically((fs::path(dir) / "config.yaml").string(), [&](std::ostream& o) { o << yaml; });
}

}  // namespace aime::algorithms
