#include "models/world_model_config.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
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
std::string brief(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}


// Parameters of nn::MLP(in, out, hidden, layers, layer_norm, have_head).
double mlp_parameters(double in, double out, double hidden, double layers, bool ln, bool head = true) {
  if (layers == 0) return in * out + out;
  const double norm = ln ? 2 * hidden : 0;
  return in * hidden + hidden + norm + (layers - 1) * (hidden * hidden + hidden + norm) + (head ? hidden * out + out : 0);
}
}  // namespace

double WorldModelConfig::parameter_count() const {
  const bool is_rssm = model == "rssm";
  const double H = static_cast<double>(is_rssm ? rssm.deterministic_size : rssmo.deterministic_size);
  const double Z = static_cast<double>(is_rssm ? rssm.stochastic_size : rssmo.stochastic_size);
  const double A = static_cast<double>(action_size), w = static_cast<double>(cnn_width), F = H + Z;
  const Head encoder = vector_encoder ? *vector_encoder : Head{512, 2, true, "silu"};
  double n = 0, E = 0, vector_in = 0;
  for (const auto& s : inputs) {
    if (s.is_image()) {  // cnn_ha: C -> w -> 2w -> 4w -> 8w, kernels 4x4 (32x32: C -> 2w -> 4w -> 8w)
      const double C = static_cast<double>(s.shape[0]);
      n += (s.shape[1] == 32 ? C * 2 * w * 16 : C * w * 16 + w + w * 2 * w * 16) + 2 * w + 2 * w * 4 * w * 16 + 4 * w +
           4 * w * 8 * w * 16 + 8 * w;
      E += 32 * w;
    } else if (is_rssm && !vector_encoder) {
      E += static_cast<double>(s.size());
    } else {
      vector_in += static_cast<double>(s.size());
    }
  }
  if (vector_in > 0) {
    n += mlp_parameters(vector_in, 0, static_cast<double>(encoder.hidden_size), static_cast<double>(encoder.hidden_layers),
                        encoder.layer_norm, false);
    E += static_cast<double>(encoder.hidden_size);
  }
  const double gru_in = is_rssm ? Z + A : static_cast<double>(rssmo.hidden_size);
  n += 3 * H * gru_in + 3 * H * H + 6 * H;
  if (is_rssm) {
    const double h = static_cast<double>(rssm.hidden_size), L = static_cast<double>(rssm.hidden_layers);
    n += 2 * mlp_parameters(H, Z, h, L, false) + 2 * mlp_parameters(H + E, Z, h, L, false);
  } else {
    const double W = static_cast<double>(rssmo.hidden_size);
    n += mlp_parameters(Z + A, 0, W, 1, true, false) + mlp_parameters(H, 2 * Z, W, 1, true) +
         mlp_parameters(H + E, 2 * Z, W, 1, true);
  }
  const double hh = static_cast<double>(head_hidden_size), hl = static_cast<double>(head_hidden_layers);
  auto decoder = [&](const SensorSpec& s, bool probe) {
    if (s.is_image()) {  // cnn_ha: fc F -> 32w, then 32w -> 4w -> 2w -> w -> C (kernels 5, 5, 6, 6)
      const double C = static_cast<double>(s.shape[0]);
      const double head = F * 32 * w + 32 * w + 32 * w * 4 * w * 25 + 4 * w;
      if (s.shape[1] == 32)  // 32x32: 32w -> 4w -> 2w -> C (kernels 5, 6, 6)
        return head + 4 * w * 2 * w * 36 + 2 * w + 2 * w * C * 36 + C;
      return head + 4 * w * 2 * w * 25 + 2 * w + 2 * w * w * 36 + w + w * C * 36 + C;
    }
    const double D = static_cast<double>(s.size());
    if (probe && probe_head)
      return mlp_parameters(F, D, static_cast<double>(probe_head->hidden_size), static_cast<double>(probe_head->hidden_layers),
                            probe_head->layer_norm);
    return (!probe && stochastic_vector_decoder ? 2 : 1) * mlp_parameters(F, D, hh, hl, head_layer_norm);
  };
  for (const auto& s : outputs) n += decoder(s, false);
  for (const auto& s : probes) n += decoder(s, true);
  if (idm)
    n += 2 * mlp_parameters(F + E, A, static_cast<double>(idm_hidden_size >= 0 ? idm_hidden_size : head_hidden_size),
                            static_cast<double>(idm_hidden_layers >= 0 ? idm_hidden_layers : head_hidden_layers), false);
  return n;
}

void WorldModelConfig::validate() const {
  auto fail = [](const std::string& key, const std::string& what) {
    throw ValueError("world model config: world_model." + key + " " + what);
  };
  auto range = [&](const std::string& key, std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < lo || v > hi)
      fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  };
  constexpr std::int64_t kWidth = 1 << 20, kValues = 1 << 24;
  if (model != "rssm" && model != "rssmo") fail("model", "must be rssm or rssmo, got '" + model + "'");
  const bool is_rssm = model == "rssm";
  range("action_size", action_size, 1, kValues);
  range("deterministic_size", is_rssm ? rssm.deterministic_size : rssmo.deterministic_size, 1, kWidth);
  range("stochastic_size", is_rssm ? rssm.stochastic_size : rssmo.stochastic_size, 1, kWidth);
  range("hidden_size", is_rssm ? rssm.hidden_size : rssmo.hidden_size, 1, kWidth);
  range("hidden_layers", rssm.hidden_layers, 0, 64);
  range("head_hidden_size", head_hidden_size, 1, kWidth);
  range("head_hidden_layers", head_hidden_layers, 0, 64);
  range("cnn_width", cnn_width, 1, 4096);
  if (idm_hidden_size >= 0) range("idm_hidden_size", idm_hidden_size, 1, kWidth);
  if (idm_hidden_layers >= 0) range("idm_hidden_layers", idm_hidden_layers, 0, 64);
  for (const auto& [prefix, head] : {std::make_pair("probe_head_", probe_head), std::make_pair("vector_encoder_", vector_encoder)})
    if (head) {
      range(std::string(prefix) + "hidden_size", head->hidden_size, 1, kWidth);
      range(std::string(prefix) + "hidden_layers", head->hidden_layers, 0, 64);
    }
  const double min_std = is_rssm ? rssm.min_std : rssmo.min_std;
  if (!(min_std >= 0 && min_std < 1e6)) fail("min_std", "must be in [0, 1e6), got " + brief(min_std));
  if (!(kl_scale >= 0 && kl_scale < 1e12)) fail("kl_scale", "must be >= 0 and finite, got " + brief(kl_scale));
  if (!(free_nats >= 0 && free_nats < 1e12)) fail("free_nats", "must be >= 0 and finite, got " + brief(free_nats));
  if (!(kl_rebalance <= 1)) fail("kl_rebalance", "must be < 0 (none) or in [0, 1], got " + brief(kl_rebalance));
  for (const auto& [key, list] : {std::make_pair("inputs", &inputs), std::make_pair("outputs", &outputs), std::make_pair("probes", &probes)})
    for (const auto& s : *list) {
      double values = 1;
      for (std::int64_t d : s.shape) {
        if (d < 1) fail(key, "sensor '" + s.name + "' has a dimension " + std::to_string(d));
        values *= static_cast<double>(d);
      }
      if (values > kValues) fail(key, "sensor '" + s.name + "' has " + brief(values) + " values (at most 2^24)");
      if (s.is_image() && (s.shape[0] > 16 || s.shape[1] != s.shape[2] || (s.shape[1] != 64 && s.shape[1] != 32)))
        fail(key, "image '" + s.name + "' must be [C <= 16, 64, 64] (cnn_ha) or [C <= 16, 32, 32] (aime's 32x32 cnn_ha), got " +
                      sensors_to_text({s}));
    }
  const double params = parameter_count();
  const double bytes = params * 16, available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  if (bytes > available)
    throw ValueError("world model config: the model has " + brief(params) + " parameters, " + brief(bytes / 1073741824.0) +
                     " GiB with gradients and Adam's moments, more than this machine's " + brief(available / 1073741824.0) +
                     " GiB; check world_model.hidden_size, hidden_layers, head_hidden_size and the sensors");
}



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
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      throw ValueError("world model config: world_model." + key + " must be a non-negative integer below 10^18, got '" + v + "'");
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
