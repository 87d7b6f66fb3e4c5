#include "algorithms/policy_checkpoint.h"

#include <filesystem>

#include "algorithms/checkpoint.h"
#include "algorithms/evaluation.h"
#include "algorithms/policy_actor.h"
#include "models/original_names.h"
#include "nn/serialize/safetensors.h"
#include "nn/serialize/torch_checkpoint.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

namespace {

void add_prefixed(nn::StateDict& out, const nn::StateDict& in, const std::string& prefix) {
  for (const auto& [name, t] : in) out.set(prefix + name, t);
}

nn::StateDict with_prefix(const nn::StateDict& in, const std::string& prefix) {
  nn::StateDict out;
  for (const auto& [name, t] : in)
    if (name.rfind(prefix, 0) == 0) out.set(name.substr(prefix.size()), t);
  return out;
}

std::string policy_path(const std::string& dir) { return (fs::path(dir) / "policy.safetensors").string(); }

const std::string& require(const nn::Metadata& m, const std::string& key, const std::string& path) {
  auto it = m.find(key);
  if (it == m.end()) throw ValueError(path + ": metadata has no '" + key + "'");
  return it->second;
}

}  // namespace

void save_aime_policy(const std::string& dir, const models::WorldModel& model, const models::TanhGaussianPolicy& policy,
                      const nn::Metadata& extra, const std::string& algo) {
  fs::create_directories(dir);
  nn::StateDict tensors;
  add_prefixed(tensors, policy.state_dict(), "policy.");
  add_prefixed(tensors, model.state_dict(), "world_model.");
  nn::Metadata m = model.config().to_metadata();
  for (const auto& [k, v] : extra) m[k] = v;
  m["format"] = "aime policy";
  m["policy.algo"] = algo;
  m["policy.hidden_size"] = std::to_string(policy.mean_net->options.hidden_size);
  m["policy.hidden_layers"] = std::to_string(policy.mean_net->options.hidden_layers);
  nn::save_safetensors(policy_path(dir), tensors, m);
}

void save_frame_stack_policy(const std::string& dir, const FrameStackPolicy& policy, const std::string& algo,
                             const nn::Metadata& extra) {
  fs::create_directories(dir);
  nn::StateDict tensors;
  add_prefixed(tensors, policy.state_dict(), "policy.");
  nn::Metadata m = policy.config().to_metadata("policy");
  for (const auto& [k, v] : extra) m[k] = v;
  m["format"] = "aime policy";
  m["policy.algo"] = algo;
  nn::save_safetensors(policy_path(dir), tensors, m);
}

std::unique_ptr<models::TanhGaussianPolicy> load_original_policy(const std::string& path, const models::WorldModel& model) {
  const nn::StateDict sd = nn::load_torch_checkpoint(path);
  // Sizes from the shapes: mean_net.net.{0,2,...,2L}.weight, the first [hidden, feature].
  const Tensor* first = sd.find("mean_net.net.0.weight");
  if (!first || first->dim() != 2)
    throw ValueError(path + ": not the original's TanhGaussianPolicy (no 2-D mean_net.net.0.weight)");
  std::int64_t linears = 0;
  while (sd.find("mean_net.net." + std::to_string(2 * linears) + ".weight")) ++linears;
  if (linears < 2) throw ValueError(path + ": the policy's mean_net has " + std::to_string(linears) + " linear layer(s), expected 2 or more");
  Generator gen(0);
  auto policy = std::make_unique<models::TanhGaussianPolicy>(model.ssm().feature_size(), model.config().action_size,
                                                             first->shape()[0], linears - 1, gen);
  models::load_original_state_dict(*policy, sd, path);
  return policy;
}

namespace {
// An original folder: model.pt + config.yaml + policy.pt (phase 2's policy).
LoadedPolicy load_original_folder_policy(const std::string& dir) {
  const std::string path = (fs::path(dir) / "policy.pt").string();
  if (!fs::exists(path)) throw Error(dir + ": an original model folder without policy.pt (phase 2's policy)");
  LoadedModel loaded = load_pretrained_model(dir);
  std::shared_ptr<models::WorldModel> model(std::move(loaded.model));
  std::shared_ptr<models::TanhGaussianPolicy> policy(load_original_policy(path, *model));
  LoadedPolicy out;
  out.algo = "aime";
  out.metadata = loaded.metadata;
  out.metadata["policy.algo"] = "aime";
  out.metadata["policy.hidden_size"] = std::to_string(policy->mean_net->options.hidden_size);
  out.metadata["policy.hidden_layers"] = std::to_string(policy->mean_net->options.hidden_layers);
  out.actor = std::make_unique<PolicyActor>(*model, *policy, "aime");
  out.modules = {model, policy};
  return out;
}
}  // namespace

std::int64_t policy_frame_size(const nn::Metadata& metadata) {
  for (const char* key : {"policy.inputs", "world_model.inputs"})
    if (auto it = metadata.find(key); it != metadata.end())
      return frame_size_for(models::sensors_from_text(it->second, key));
  return envs::EnvironmentOptions{}.image_size;
}

LoadedPolicy load_policy(const std::string& dir) {
  const std::string path = policy_path(dir);
  if (!fs::exists(path) && is_original_folder(dir)) return load_original_folder_policy(dir);
  if (!fs::exists(path)) throw Error(dir + ": not a policy folder (no policy.safetensors, nor the original's policy.pt)");
  nn::SafetensorsFile file = nn::load_safetensors(path);
  LoadedPolicy out;
  out.metadata = file.metadata;
  out.algo = require(file.metadata, "policy.algo", path);
  Generator gen(0);  // initial weights, overwritten
  if (out.algo == "aime" || out.algo == "dreamer" || out.algo == "plan2explore") {
    std::shared_ptr<models::WorldModel> model;
    try {
      model = std::make_shared<models::WorldModel>(models::WorldModelConfig::from_metadata(file.metadata), gen);
    } catch (const ValueError& e) {
      throw ValueError(path + ": " + e.what());
    }
    model->load_state_dict(with_prefix(file.tensors, "world_model."), true);
    const std::int64_t hidden = metadata_integer(file.metadata, "policy.hidden_size", path);
    const std::int64_t layers = metadata_integer(file.metadata, "policy.hidden_layers", path);
    auto policy = std::make_shared<models::TanhGaussianPolicy>(model->ssm().feature_size(), model->config().action_size,
                                                               hidden, layers, gen);
    policy->load_state_dict(with_prefix(file.tensors, "policy."), true);
    // What the policy reads of the state (AIME's policy_reads_mean); absent: the sample, as
    // every policy saved before the option, Dreamer's and the original's read it.
    const auto input = file.metadata.find("policy.input");
    if (input != file.metadata.end() && input->second != "sample" && input->second != "mean")
      throw ValueError(path + ": metadata 'policy.input' must be sample or mean, found '" + input->second + "'");
    const bool reads_mean = input != file.metadata.end() && input->second == "mean";
    out.actor = std::make_unique<PolicyActor>(*model, *policy, out.algo, reads_mean);
    out.modules = {model, policy};
  } else if (out.algo == "bc" || out.algo == "bco" || out.algo == "iidm") {
    auto policy = std::make_shared<FrameStackPolicy>(FrameStackConfig::from_metadata(file.metadata, "policy"), gen);
    policy->load_state_dict(with_prefix(file.tensors, "policy."), true);
    out.actor = std::make_unique<FrameStackActor>(*policy, out.algo);
    out.modules = {policy};
  } else {
    throw ValueError(path + ": unknown policy.algo '" + out.algo + "' (expected aime, dreamer, plan2explore, bc, bco or iidm)");
  }
  return out;
}

}  // namespace aime::algorithms
