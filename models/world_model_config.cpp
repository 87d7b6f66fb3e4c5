#include "models/world_model_config.h"

#include <cstdlib>
#include <sstream>

#include "autograd/error.h"

namespace aime::models {

using distributions::NllReweight;

WorldModelConfig WorldModelConfig::original(const std::string& model, Setup setup,
                                            const std::vector<SensorSpec>& sensors, std::int64_t action_size) {
  WorldModelConfig c;
  if (model != "rssm" && model != "rssmo") throw ValueError("world model: expected rssm or rssmo, got '" + model + "'");
  c.model = model;
  c.action_size = action_size;
  const SensorRoles roles = sensor_roles(setup, sensors);
  c.inputs = roles.inputs;
  c.outputs = roles.outputs;
  c.probes = roles.probes;
  if (model == "rssmo") {
    c.nll_reweight = NllReweight::None;
    c.free_nats = 1.0;
    c.kl_rebalance = 0.8;
    c.head_hidden_size = 512;
    c.head_layer_norm = true;
    c.head_activation = "silu";
    c.stochastic_vector_decoder = false;
  }
  return c;
}

namespace {
std::string number(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

}  // namespace

nn::Metadata WorldModelConfig::to_metadata() const {
  nn::Metadata m = {{"world_model.model", model},
          {"world_model.inputs", sensors_to_text(inputs)},
          {"world_model.outputs", sensors_to_text(outputs)},
          {"world_model.probes", sensors_to_text(probes)},
          {"world_model.action_size", std::to_string(action_size)},
          {"world_model.deterministic_size", std::to_string(model == "rssm" ? rssm.deterministic_size : rssmo.deterministic_size)},
          {"world_model.stochastic_size", std::to_string(model == "rssm" ? rssm.stochastic_size : rssmo.stochastic_size)},
          {"world_model.hidden_size", std::to_string(model == "rssm" ? rssm.hidden_size : rssmo.hidden_size)},
          {"world_model.hidden_layers", std::to_string(rssm.hidden_layers)},
          {"world_model.min_std", number(model == "rssm" ? rssm.min_std : rssmo.min_std)},
          {"world_model.nll_reweight", nll_reweight == NllReweight::DimWise ? "dim_wise" : "none"},
          {"world_model.kl_scale", number(kl_scale)},
          {"world_model.free_nats", number(free_nats)},
          {"world_model.kl_rebalance", number(kl_rebalance)},
          {"world_model.idm", idm ? "detach" : "none"},
          {"world_model.head_hidden_size", std::to_string(head_hidden_size)},
          {"world_model.head_hidden_layers", std::to_string(head_hidden_layers)},
          {"world_model.head_layer_norm", head_layer_norm ? "1" : "0"},
          {"world_model.head_activation", head_activation},
          {"world_model.stochastic_vector_decoder", stochastic_vector_decoder ? "1" : "0"},
          {"world_model.cnn_width", std::to_string(cnn_width)}};
  // Written only when set, so that older readers see the same keys as before.
  auto head = [&](const std::string& prefix, const Head& h) {
    m["world_model." + prefix + "hidden_size"] = std::to_string(h.hidden_size);
    m["world_model." + prefix + "hidden_layers"] = std::to_string(h.hidden_layers);
    m["world_model." + prefix + "layer_norm"] = h.layer_norm ? "1" : "0";
    m["world_model." + prefix + "activation"] = h.activation;
  };
  if (probe_head) head("probe_head_", *probe_head);
  if (vector_encoder) head("vector_encoder_", *vector_encoder);
  if (idm_hidden_size >= 0) m["world_model.idm_hidden_size"] = std::to_string(idm_hidden_size);
  if (idm_hidden_layers >= 0) m["world_model.idm_hidden_layers"] = std::to_string(idm_hidden_layers);
  return m;
}

WorldModelConfig WorldModelConfig::from_metadata(const nn::Metadata& m) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = m.find("world_model." + key);
    if (it == m.end()) throw ValueError("world model config: missing key world_model." + key);
    return it->second;
  };
  auto integer = [&](const std::string& key) {
    const std::string& v = get(key);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      throw ValueError("world model config: world_model." + key + " must be a non-negative integer, got '" + v + "'");
    return static_cast<std::int64_t>(std::stoll(v));
  };
  auto real = [&](const std::string& key) {
    const std::string& v = get(key);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') throw ValueError("world model config: world_model." + key + " must be a number, got '" + v + "'");
    return d;
  };
  WorldModelConfig c;
  c.model = get("model");
  if (c.model != "rssm" && c.model != "rssmo") throw ValueError("world model config: model must be rssm or rssmo, got '" + c.model + "'");
  c.inputs = sensors_from_text(get("inputs"), "world_model.inputs");
  c.outputs = sensors_from_text(get("outputs"), "world_model.outputs");
  c.probes = sensors_from_text(get("probes"), "world_model.probes");
  c.action_size = integer("action_size");
  c.rssm.deterministic_size = c.rssmo.deterministic_size = integer("deterministic_size");
  c.rssm.stochastic_size = c.rssmo.stochastic_size = integer("stochastic_size");
  c.rssm.hidden_size = c.rssmo.hidden_size = integer("hidden_size");
  c.rssm.hidden_layers = integer("hidden_layers");
  c.rssm.min_std = c.rssmo.min_std = real("min_std");
  c.nll_reweight = distributions::parse_nll_reweight(get("nll_reweight"));
  c.kl_scale = real("kl_scale");
  c.free_nats = real("free_nats");
  c.kl_rebalance = real("kl_rebalance");
  c.idm = get("idm") == "detach";
  c.head_hidden_size = integer("head_hidden_size");
  c.head_hidden_layers = integer("head_hidden_layers");
  c.head_layer_norm = get("head_layer_norm") == "1";
  c.head_activation = get("head_activation");
  c.stochastic_vector_decoder = get("stochastic_vector_decoder") == "1";
  // Absent in checkpoints written before the key existed: the original's width.
  if (m.count("world_model.cnn_width")) c.cnn_width = integer("cnn_width");
  if (c.cnn_width < 1) throw ValueError("world model config: world_model.cnn_width must be >= 1");
  auto head = [&](const std::string& prefix) -> std::optional<Head> {
    if (!m.count("world_model." + prefix + "hidden_size")) return std::nullopt;
    Head h;
    h.hidden_size = integer(prefix + "hidden_size");
    h.hidden_layers = integer(prefix + "hidden_layers");
    h.layer_norm = get(prefix + "layer_norm") == "1";
    h.activation = get(prefix + "activation");
    return h;
  };
  c.probe_head = head("probe_head_");
  c.vector_encoder = head("vector_encoder_");
  if (m.count("world_model.idm_hidden_size")) c.idm_hidden_size = integer("idm_hidden_size");
  if (m.count("world_model.idm_hidden_layers")) c.idm_hidden_layers = integer("idm_hidden_layers");
  return c;
}

}  // namespace aime::models
