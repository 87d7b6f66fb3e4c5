#include "models/world_model.h"

#include <cstdlib>
#include <sstream>

#include "autograd/aime.h"
#include "distributions/kl.h"

namespace aime::models {

using distributions::NllReweight;

Setup parse_setup(const std::string& name) {
  if (name == "visual") return Setup::Visual;
  if (name == "lpomdp") return Setup::LPOMDP;
  if (name == "mdp") return Setup::MDP;
  throw ValueError("setup: expected visual, lpomdp or mdp, got '" + name + "'");
}

std::string setup_name(Setup setup) {
  switch (setup) {
    case Setup::Visual: return "visual";
    case Setup::LPOMDP: return "lpomdp";
    case Setup::MDP: return "mdp";
  }
  return "?";
}

WorldModelConfig WorldModelConfig::original(const std::string& model, Setup setup,
                                            const std::vector<SensorSpec>& sensors, std::int64_t action_size) {
  WorldModelConfig c;
  if (model != "rssm" && model != "rssmo") throw ValueError("world model: expected rssm or rssmo, got '" + model + "'");
  c.model = model;
  c.action_size = action_size;
  std::vector<SensorSpec> images, first, second;
  for (const auto& s : sensors) {
    if (s.is_image()) images.push_back(s);
    else if (s.name == "velocity") second.push_back(s);
    else first.push_back(s);
  }
  std::vector<SensorSpec> vectors = first;
  vectors.insert(vectors.end(), second.begin(), second.end());
  switch (setup) {
    case Setup::Visual:
      if (images.empty()) throw ValueError("world model: the visual setup needs an image sensor");
      c.inputs = c.outputs = images;
      c.probes = vectors;
      break;
    case Setup::LPOMDP:
      if (first.empty()) throw ValueError("world model: the lpomdp setup needs a first-order vector sensor");
      c.inputs = c.outputs = first;
      c.probes = second;
      break;
    case Setup::MDP:
      if (vectors.empty()) throw ValueError("world model: the mdp setup needs vector sensors");
      c.inputs = c.outputs = vectors;
      break;
  }
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

// "image:3x64x64,velocity:1"
std::string sensors_to_text(const std::vector<SensorSpec>& sensors) {
  std::string out;
  for (const auto& s : sensors) {
    out += (out.empty() ? "" : ",") + s.name + ":";
    for (std::size_t i = 0; i < s.shape.size(); ++i) out += (i ? "x" : "") + std::to_string(s.shape[i]);
  }
  return out;
}

std::vector<SensorSpec> sensors_from_text(const std::string& text, const std::string& key) {
  std::vector<SensorSpec> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0) throw ValueError(key + ": bad sensor '" + item + "'");
    SensorSpec spec{item.substr(0, colon), {}};
    std::stringstream dims(item.substr(colon + 1));
    std::string d;
    while (std::getline(dims, d, 'x')) {
      if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos)
        throw ValueError(key + ": bad shape in sensor '" + item + "'");
      spec.shape.push_back(std::stoll(d));
    }
    out.push_back(spec);
  }
  return out;
}
nn::Metadata WorldModelConfig::to_metadata() const {
  return {{"world_model.model", model},
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
  return c;
}

std::shared_ptr<Decoder> WorldModel::make_decoder(const SensorSpec& s, bool probe, Generator& gen) {
  const std::int64_t f = ssm_->feature_size();
  if (s.is_image()) return std::make_shared<CNNDecoderHa>(f, s.shape[0], config_.cnn_width, gen);
  if (!probe && config_.stochastic_vector_decoder)
    return std::make_shared<MLPStochasticDecoder>(f, s.size(), config_.head_hidden_size, config_.head_hidden_layers,
                                                  config_.rssm.min_std, config_.head_layer_norm, config_.head_activation, gen);
  return std::make_shared<MLPDeterministicDecoder>(f, s.size(), config_.head_hidden_size, config_.head_hidden_layers,
                                                   config_.head_layer_norm, config_.head_activation, gen);
}

WorldModel::WorldModel(const WorldModelConfig& c, Generator& gen) : Module("WorldModel"), config_(c) {
  if (c.inputs.empty() || c.outputs.empty() || c.action_size < 1)
    throw ValueError("WorldModel: needs input and output sensors and action_size >= 1");
  encoder = register_module("encoder", std::make_shared<MultimodalEncoder>());
  std::vector<std::string> vector_inputs;
  std::int64_t vector_size = 0;
  for (const auto& s : c.inputs) {
    if (s.is_image()) {
      auto cnn = std::make_shared<CNNEncoderHa>(s.shape[0], c.cnn_width, gen);
      encoder->add(s.name, cnn, cnn->output_size());
    } else if (c.model == "rssm") {
      encoder->add(s.name, std::make_shared<IdentityEncoder>(s.size()), s.size());
    } else {
      vector_inputs.push_back(s.name);
      vector_size += s.size();
    }
  }
  if (!vector_inputs.empty()) {  // RSSMO: one MLP over all vector sensors
    const nn::MLPOptions o = nn::mlp_options(vector_size, 0, 512, 2, true, "silu", "identity", false);
    encoder->add_group("tabular", vector_inputs, std::make_shared<nn::MLP>(o, gen), 512);
  }
  if (c.model == "rssm")
    ssm_module = std::make_shared<RSSM>(c.action_size, encoder->output_size(), c.rssm, gen);
  else
    ssm_module = std::make_shared<RSSMO>(c.action_size, encoder->output_size(), c.rssmo, gen);
  register_module("ssm", ssm_module);
  ssm_ = ssm_module.get();
  auto heads = std::make_shared<nn::Module>("Decoders");
  for (const auto& s : c.outputs) decoders[s.name] = heads->register_module(s.name, make_decoder(s, false, gen));
  register_module("decoders", heads);
  if (!c.probes.empty()) {
    auto probes = std::make_shared<nn::Module>("Probes");
    for (const auto& s : c.probes) probe_decoders[s.name] = probes->register_module(s.name, make_decoder(s, true, gen));
    register_module("probes", probes);
  }
  if (c.idm)
    idm = register_module("idm", std::make_shared<TanhGaussianPolicy>(ssm_->feature_size() + encoder->output_size(),
                                                                      c.action_size, c.head_hidden_size,
                                                                      c.head_hidden_layers, gen));
}

const Tensor& WorldModel::require(const SensorBatch& batch, const std::string& key) const {
  auto it = batch.find(key);
  if (it == batch.end()) throw ValueError("WorldModel: the batch has no '" + key + "'");
  return it->second;
}

Tensor WorldModel::embed(const SensorBatch& batch) const { return encoder->forward(batch); }

FilterOutput WorldModel::filter(const SensorBatch& batch, Generator& gen) const {
  return ssm_->filter(embed(batch), require(batch, "pre_action"), State{}, gen);
}

namespace {
// Sums every dim after the first two ([T, B, ...] -> [T, B]).
Tensor sum_event(const Tensor& x) {
  if (x.dim() <= 2) return x;
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return sum(x, dims);
}
}  // namespace

ElboTerms WorldModel::elbo(const SensorBatch& batch, Generator& gen) const {
  const Tensor embeddings = embed(batch);
  return elbo_of(ssm_->filter(embeddings, require(batch, "pre_action"), State{}, gen), embeddings, batch, true);
}

ElboTerms WorldModel::elbo_of(const FilterOutput& filtered, const Tensor& embeddings, const SensorBatch& batch,
                              bool training, bool reconstruct) const {
  ElboTerms out;
  out.filtered = filtered;
  const Tensor features = out.filtered.features();  // [T, B, F]
  const std::int64_t T = features.size(0);
  // Reconstruction.
  Tensor rec_loss = scalar_tensor(0.0, features.dtype(), features.device());
  out.elbo = scalar_tensor(0.0, features.dtype(), features.device());
  Tensor std_sum;  // per (t, b): sum over output dims of sg(std), for dim_wise KL weighting
  std::int64_t output_dims = 0;
  static const std::vector<SensorSpec> kNoOutputs;
  for (const auto& s : reconstruct ? config_.outputs : kNoOutputs) {
    const Tensor& target = require(batch, s.name);
    const auto dist = decoders.at(s.name)->forward(features);
    const Tensor log_p = dist->log_prob(target);  // [T, B, ...]
    const Tensor per_step = sum_event(log_p);     // [T, B]
    out.reconstruction_per_step[s.name] = mean(per_step, 1);
    out.reconstruction[s.name] = mean(sum(per_step, 0));
    out.elbo = out.elbo + out.reconstruction[s.name];
    out.mse[s.name] = mean(square(dist->mean().detach() - target));
    if (config_.nll_reweight == NllReweight::DimWise) {
      const Tensor stddev = dist->stddev().detach().expand(log_p.shape());
      rec_loss = rec_loss - mean(sum(sum_event(log_p * stddev), 0));
      const Tensor s_sum = sum_event(stddev);
      std_sum = std_sum.defined() ? std_sum + s_sum : s_sum;
      output_dims += s.size();
    } else {
      rec_loss = rec_loss - out.reconstruction[s.name];
    }
  }
  // KL per step and dim over [T, B, Z] at once, balanced and with free nats for the loss;
  // the true value for the ELBO.
  if (!out.filtered.posterior) throw ValueError("WorldModel::elbo_of: the filter output has no posterior (a rollout?)");
  const auto& q = *out.filtered.posterior;
  const auto& p = *out.filtered.prior;
  const Tensor kl = distributions::kl_divergence(q, p);  // [T, B, Z]
  Tensor train = training && config_.kl_rebalance >= 0 ? distributions::kl_balance(q, p, config_.kl_rebalance) : kl;
  if (training && config_.free_nats > 0) train = distributions::free_nats(train, config_.free_nats);
  const Tensor kl_steps = sum(kl, -1), kl_train_steps = sum(train, -1);  // [T, B]
  out.kl_per_step = mean(kl_steps, 1).detach();
  out.kl = mean(sum(kl_steps, 0));
  out.elbo = reconstruct ? (out.elbo - out.kl).detach() : Tensor();
  Tensor weighted_kl = kl_train_steps;
  if (config_.nll_reweight == NllReweight::DimWise && std_sum.defined())
    weighted_kl = weighted_kl * (std_sum / static_cast<double>(output_dims));
  out.reconstruction_loss = rec_loss;
  out.kl_loss = mean(sum(weighted_kl, 0));
  out.loss = rec_loss + config_.kl_scale * out.kl_loss;
  // Probes: detached features from t = 1.
  if (training && T > 1) {
    const Tensor detached = features.narrow(0, 1, T - 1).detach();
    for (const auto& s : config_.probes) {
      const Tensor target = require(batch, s.name).narrow(0, 1, T - 1);
      const Tensor nll = -mean(sum(sum_event(probe_decoders.at(s.name)->forward(detached)->log_prob(target)), 0));
      out.probe_loss[s.name] = nll;
      out.loss = out.loss + nll;
    }
    // IDM: [feature_t, e_{t+1}] (detached) -> pre_action_{t+1}; -log p summed over action
    // dims, mean over time, sum over batch (as the original codes it).
    if (idm) {
      const Tensor& actions = require(batch, "pre_action");
      const Tensor input = cat({features.narrow(0, 0, T - 1).detach(), embeddings.narrow(0, 1, T - 1).detach()}, -1);
      const Tensor log_p = sum(idm->forward(input)->log_prob(actions.narrow(0, 1, T - 1)), -1);  // [T-1, B]
      out.idm_loss = -sum(mean(log_p, 0));
      out.loss = out.loss + out.idm_loss;
    }
  }
  return out;
}

std::map<std::string, Tensor> WorldModel::generate(const State& start, const Tensor& actions, Generator& gen) const {
  const Tensor features = ssm_->rollout(start, actions, gen).features();
  std::map<std::string, Tensor> out;
  for (const auto& s : config_.outputs) out[s.name] = decoders.at(s.name)->forward(features)->mean();
  return out;
}

std::map<std::string, Tensor> WorldModel::imagine(const SensorBatch& batch, std::int64_t context, Generator& gen) const {
  const Tensor embeddings = embed(batch);
  const Tensor& actions = require(batch, "pre_action");
  const std::int64_t T = embeddings.size(0);
  if (context < 1 || context > T)
    throw ValueError("WorldModel::imagine: context must be in [1, " + std::to_string(T) + "], got " + std::to_string(context));
  FilterOutput seen = ssm_->filter(embeddings.narrow(0, 0, context), actions.narrow(0, 0, context), State{}, gen);
  Tensor features = seen.features();
  if (context < T) {
    const FilterOutput dreamt = ssm_->rollout(seen.last(), actions.narrow(0, context, T - context), gen);
    features = cat({features, dreamt.features()}, 0);
  }
  std::map<std::string, Tensor> out;
  for (const auto& s : config_.outputs) out[s.name] = decoders.at(s.name)->forward(features)->mean();
  return out;
}

}  // namespace aime::models
