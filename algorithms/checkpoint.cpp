#include "algorithms/checkpoint.h"

#include <filesystem>

#include "io/atomic_file.h"
#include "models/original_names.h"
#include "nn/serialize/safetensors.h"
#include "nn/serialize/torch_checkpoint.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

namespace {
const char* kOptimizerFile = "optimizer.safetensors";
const char* kOptimizerNext = "optimizer.next.safetensors";

std::string value_or(const nn::Metadata& m, const std::string& key, const std::string& fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}
}  // namespace

std::int64_t metadata_integer(const nn::Metadata& metadata, const std::string& key, const std::string& file) {
  auto it = metadata.find(key);
  if (it == metadata.end()) throw ValueError(file + ": metadata has no '" + key + "'");
  const std::string& v = it->second;
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    throw ValueError(file + ": metadata '" + key + "' must be a non-negative integer, got '" + v + "'");
  return std::stoll(v);
}

void save_model_checkpoint(const std::string& dir, const models::WorldModel& model, const nn::Optimizer* optimizer,
                           const nn::Metadata& training_state) {
  fs::create_directories(dir);
  nn::Metadata pair;  // what both files of one checkpoint carry
  for (const char* key : {"train.step", "train.run_id"})
    if (training_state.count(key)) pair[key] = training_state.at(key);
  if (optimizer) optimizer->save((fs::path(dir) / kOptimizerNext).string(), pair);
  nn::Metadata metadata = model.config().to_metadata();
  for (const auto& [k, v] : training_state) metadata[k] = v;
  metadata["format"] = "aime world model";
  nn::save_safetensors((fs::path(dir) / "model.safetensors").string(), model.state_dict(), metadata);
  if (optimizer) fs::rename(fs::path(dir) / kOptimizerNext, fs::path(dir) / kOptimizerFile);
}

std::string resume_checkpoint(const std::string& dir, const nn::Metadata& metadata) {
  const fs::path model = fs::path(dir) / "model.safetensors", current = fs::path(dir) / kOptimizerFile,
                 next = fs::path(dir) / kOptimizerNext;
  const std::string step = value_or(metadata, "train.step", "?"), run = value_or(metadata, "train.run_id", "");
  // A write that stopped after the optimiser: the new model made it (finish the rename) or
  // not (the old pair stands; drop the newer optimiser).
  if (fs::exists(next)) {
    const nn::Metadata pending = nn::read_safetensors_header(next.string()).metadata;
    if (value_or(pending, "train.step", "") == step && value_or(pending, "train.run_id", "") == run)
      fs::rename(next, current);
    else
      fs::remove(next);
  }
  if (!fs::exists(current)) throw ValueError(dir + ": no " + kOptimizerFile + " beside model.safetensors to resume from");
  const nn::Metadata saved = nn::read_safetensors_header(current.string()).metadata;
  // Files written before the pair carried a step have none: nothing to compare.
  if (saved.count("train.step") &&
      (saved.at("train.step") != step || value_or(saved, "train.run_id", "") != run))
    throw ValueError(dir + ": " + kOptimizerFile + " (step " + saved.at("train.step") + ", run " +
                     value_or(saved, "train.run_id", "?") + ") and model.safetensors (step " + step + ", run " +
                     (run.empty() ? "?" : run) + ") are not one checkpoint; resume from a folder whose files agree");
  return current.string();
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
  try {
    out.model = std::make_unique<models::WorldModel>(config.world_model, gen);
  } catch (const ValueError& e) {
    throw ValueError(yaml + ": " + e.what());
  }
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
  try {  // the config is checked field by field before anything is allocated
    out.model = std::make_unique<models::WorldModel>(models::WorldModelConfig::from_metadata(file.metadata), gen);
  } catch (const ValueError& e) {
    throw ValueError(path + ": " + e.what());
  }
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
    run.action_repeat = metadata_integer(metadata, "original.action_repeat", "the model's metadata");
    run.seed = metadata_integer(metadata, "original.seed", "the model's metadata");
    run.dataset = get("original.dataset");
    run.setup = models::parse_setup(get("original.setup") == "pomdp" ? "lpomdp" : get("original.setup"));
  } else {
    env = get("train.env");
    if (!get("train.seed").empty()) run.seed = metadata_integer(metadata, "train.seed", "the model's metadata");
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
