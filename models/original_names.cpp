#include "models/original_names.h"

#include <map>

#include "autograd/error.h"

namespace aime::models {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// "mean_net.N.x" -> "mean_net.net.N.x" (an MLP the original wraps in its MLP class, whose
// layers sit in `.net`).
std::string mlp_key(const std::string& prefix, const std::string& rest) {
  const std::size_t dot = rest.find('.');
  return prefix + rest.substr(0, dot) + ".net" + rest.substr(dot);
}

std::string policy_key(const std::string& prefix, const std::string& key) {
  if (starts_with(key, "mean_net.") || starts_with(key, "std_net.")) return mlp_key(prefix, key);
  throw ValueError("original names: no rule for the policy key '" + key + "'");
}

std::string shape_text(const Shape& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

// Renames `original` into `own`'s keys by `rename` (own key -> original key), checking
// every key and shape, then loads.
template <class M, class Rename>
void load_renamed(M& module, const nn::StateDict& original, const std::string& source, Rename rename) {
  const nn::StateDict own = module.state_dict();
  nn::StateDict renamed;
  std::map<std::string, bool> used;
  std::string problems, missing;
  for (const auto& [key, tensor] : own) {
    const std::string theirs = rename(key);
    const Tensor* found = original.find(theirs);
    if (!found) {
      missing += (missing.empty() ? "" : ", ") + theirs;
      continue;
    }
    used[theirs] = true;
    if (found->shape() != tensor.shape())
      problems += "\n  " + theirs + ": expected shape " + shape_text(tensor.shape()) + " (from the config), found " +
                  shape_text(found->shape());
    renamed.set(key, *found);
  }
  std::string unexpected;
  for (const auto& [key, tensor] : original)
    if (!used.count(key)) unexpected += (unexpected.empty() ? "" : ", ") + key;
  if (!missing.empty()) problems += "\n  missing keys: " + missing;
  if (!unexpected.empty()) problems += "\n  unexpected keys: " + unexpected;
  if (!problems.empty()) throw ValueError(source + ": does not match the model its config describes:" + problems);
  module.load_state_dict(renamed, true);
}

}  // namespace

std::string original_key(const WorldModel& model, const std::string& key) {
  const auto fail = [&]() -> std::string { throw ValueError("original names: no rule for the key '" + key + "'"); };
  if (key == "ssm.initial_h") return "initial_memory";
  if (key == "ssm.initial_z") return "initial_state";
  if (starts_with(key, "ssm.memory_cell.")) return key.substr(4);
  if (starts_with(key, "ssm.")) return mlp_key("", key.substr(4));
  if (starts_with(key, "idm.")) return policy_key("idm.", key.substr(4));
  const bool decoder = starts_with(key, "decoders."), probe = starts_with(key, "probes.");
  if (starts_with(key, "encoder.") || decoder || probe) {
    const std::size_t a = key.find('.'), b = key.find('.', a + 1);
    if (b == std::string::npos) return fail();
    const std::string sensor = key.substr(a + 1, b - a - 1), rest = key.substr(b + 1);
    if (starts_with(key, "encoder."))
      return "encoders." + sensor + "." + (starts_with(rest, "net.") ? rest : "net." + rest);
    const std::string head = (decoder ? "decoders." : "probes.") + sensor + ".";
    bool image = false;
    for (const auto& s : decoder ? model.config().outputs : model.config().probes)
      if (s.name == sensor) image = s.is_image();
    if (image) {  // cnn_ha: fc, then the transposed convolutions two places on
      if (starts_with(rest, "fc.")) return head + "net.0." + rest.substr(3);
      if (!starts_with(rest, "net.")) return fail();
      const std::size_t dot = rest.find('.', 4);
      return head + "net." + std::to_string(std::stoll(rest.substr(4, dot - 4)) + 2) + rest.substr(dot);
    }
    if (starts_with(rest, "mean_net.")) return head + "mu_net.net." + rest.substr(9);
    if (starts_with(rest, "std_net.")) return head + "std_net.net." + rest.substr(8);
    if (starts_with(rest, "net.")) return head + "net." + rest;
  }
  return fail();
}

nn::StateDict to_original_state_dict(const WorldModel& model) {
  nn::StateDict out;
  for (const auto& [key, tensor] : model.state_dict()) out.set(original_key(model, key), tensor);
  return out;
}

nn::StateDict to_original_state_dict(const TanhGaussianPolicy& policy) {
  nn::StateDict out;
  for (const auto& [key, tensor] : policy.state_dict()) out.set(policy_key("", key), tensor);
  return out;
}

void load_original_state_dict(WorldModel& model, const nn::StateDict& original, const std::string& source) {
  load_renamed(model, original, source, [&](const std::string& key) { return original_key(model, key); });
}

void load_original_state_dict(TanhGaussianPolicy& policy, const nn::StateDict& original, const std::string& source) {
  load_renamed(policy, original, source, [&](const std::string& key) { return policy_key("", key); });
}

}  // namespace aime::models
