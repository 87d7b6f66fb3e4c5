#include "models/original_config.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "autograd/error.h"

#ifdef AIME_HAVE_YAML
#include <yaml-cpp/yaml.h>
#endif

namespace aime::models {

#ifndef AIME_HAVE_YAML

bool have_yaml() { return false; }
OriginalConfig parse_original_config(const std::string&, const std::string& source, const nn::StateDict&) {
  throw Error(source + ": this aime was built without yaml-cpp, so it cannot read the original's config.yaml; "
                       "install it (Debian: apt-get install libyaml-cpp-dev) and rebuild (bash scripts/setup.sh)");
}
std::string original_config_yaml(const WorldModelConfig&, const OriginalRun&) {
  throw Error("config.yaml: this aime was built without yaml-cpp, so it cannot write the original's config.yaml; "
              "install it (Debian: apt-get install libyaml-cpp-dev) and rebuild (bash scripts/setup.sh)");
}

#else

bool have_yaml() { return true; }

namespace {

// One YAML node with its dotted path, for errors that name the key.
class Field {
 public:
  Field(YAML::Node node, std::string path, const std::string& source) : node_(node), path_(std::move(path)), source_(source) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError(source_ + ": " + (path_.empty() ? "" : path_ + ": ") + what);
  }
  bool has(const std::string& key) const { return node_.IsMap() && node_[key]; }
  Field at(const std::string& key) const {
    if (!node_.IsMap()) fail("expected a mapping");
    if (!node_[key]) Field(node_, path_.empty() ? key : path_ + "." + key, source_).fail("missing key");
    return Field(node_[key], path_.empty() ? key : path_ + "." + key, source_);
  }
  bool is_null() const { return node_.IsNull(); }
  template <class T>
  T as(const char* what) const {
    if (!node_.IsScalar()) fail(std::string("expected ") + what);
    try {
      return node_.as<T>();
    } catch (const YAML::Exception&) {
      fail(std::string("expected ") + what + ", got '" + node_.Scalar() + "'");
    }
  }
  std::string str() const { return as<std::string>("a string"); }
  std::int64_t integer() const {
    const auto v = as<std::int64_t>("an integer");
    if (v < 1 || v > (1 << 20)) fail("expected an integer in [1, 1048576], got " + std::to_string(v));
    return v;
  }
  double real() const { return as<double>("a number"); }
  // The keys of a mapping, in the file's order; any key outside `known` is an error.
  std::vector<std::string> keys(const std::set<std::string>& known = {}) const {
    if (!node_.IsMap()) fail("expected a mapping");
    std::vector<std::string> out;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string k = it->first.as<std::string>();
      if (!known.empty() && !known.count(k)) Field(node_, path_.empty() ? k : path_ + "." + k, source_).fail("unknown key");
      out.push_back(k);
    }
    return out;
  }
  std::size_t sequence_size() const { return node_.IsSequence() ? node_.size() : 0; }
  Field item(std::size_t i) const { return Field(node_[i], path_ + "[" + std::to_string(i) + "]", source_); }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
};

// An MLP head block (`name`, `hidden_size`, `hidden_layers`, `hidden_activation`, `norm`).
WorldModelConfig::Head head_of(const Field& f) {
  WorldModelConfig::Head h;
  h.hidden_size = f.at("hidden_size").integer();
  h.hidden_layers = f.at("hidden_layers").integer();
  if (f.has("hidden_activation")) {
    const std::string act = f.at("hidden_activation").str();
    if (act != "elu" && act != "relu" && act != "swish" && act != "silu" && act != "tanh" && act != "sigmoid")
      f.at("hidden_activation").fail("'" + act + "' is not an activation aime has (elu, relu, swish, tanh, sigmoid)");
    h.activation = act == "swish" ? "silu" : act;
  }
  if (f.has("norm") && !f.at("norm").is_null()) {
    const std::string norm = f.at("norm").str();
    if (norm != "ln") f.at("norm").fail("'" + norm + "' is not supported (aime has LayerNorm, 'ln', or none)");
    h.layer_norm = true;
  }
  return h;
}

const std::set<std::string> kHeadKeys = {"name", "hidden_size", "hidden_layers", "hidden_activation", "norm"};

// The largest N among "<prefix>N.weight" keys, and that weight's shape.
const Tensor* last_layer(const nn::StateDict& sd, const std::string& prefix) {
  const Tensor* best = nullptr;
  long best_n = -1;
  for (const auto& [key, t] : sd) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = key.substr(prefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string::npos || rest.substr(dot) != ".weight" || dot == 0 ||
        rest.substr(0, dot).find_first_not_of("0123456789") != std::string::npos)
      continue;
    const long n = std::stol(rest.substr(0, dot));
    if (n > best_n) best_n = n, best = &t;
  }
  return best;
}

std::string activation_name(const std::string& act) { return act == "silu" ? "swish" : act; }

}  // namespace

OriginalConfig parse_original_config(const std::string& yaml, const std::string& source, const nn::StateDict& sd) {
  YAML::Node root_node;
  try {
    root_node = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ValueError(source + ": not valid YAML: " + e.what());
  }
  const Field root(root_node, "", source);
  root.keys();  // a mapping
  OriginalConfig out;
  OriginalRun& run = out.run;
  WorldModelConfig& c = out.world_model;

  // ---- the run and its environment ----
  if (root.has("seed")) run.seed = root.at("seed").as<std::int64_t>("an integer");
  if (root.has("embodiment_dataset_name") && !root.at("embodiment_dataset_name").is_null())
    run.dataset = root.at("embodiment_dataset_name").str();
  const Field setup_field = root.at("environment_setup");
  const std::string setup = setup_field.str();
  if (setup == "visual") run.setup = Setup::Visual;
  else if (setup == "lpomdp" || setup == "pomdp") run.setup = Setup::LPOMDP;
  else if (setup == "mdp") run.setup = Setup::MDP;
  else setup_field.fail("'" + setup + "' is not a setup aime has (visual, lpomdp, pomdp, mdp)");
  const Field env = root.at("env");
  if (env.has("class")) run.env_class = env.at("class").str();
  run.embodiment = env.at("embodiment").str();
  run.task = env.at("task").str();
  if (env.has("action_repeat")) run.action_repeat = env.at("action_repeat").integer();
  struct Layout {
    std::string name, modality, order;
  };
  std::vector<Layout> layout;
  const Field sensors = env.at("sensors");
  for (const std::string& name : sensors.keys()) {
    const Field s = sensors.at(name);
    s.keys({"modility", "order"});
    Layout l{name, s.at("modility").str(), s.has("order") ? s.at("order").str() : "first"};
    if (l.modality != "tabular" && l.modality != "visual") s.at("modility").fail("expected tabular or visual, got '" + l.modality + "'");
    if (l.order != "first" && l.order != "second") s.at("order").fail("expected first or second, got '" + l.order + "'");
    layout.push_back(l);
  }

  // ---- the world model ----
  const Field wm = root.at("world_model");
  wm.keys({"name", "state_dim", "hidden_size", "hidden_layers", "norm", "nll_reweight", "idm_mode", "min_std", "kl_scale",
           "free_nats", "kl_rebalance", "encoders", "decoders", "probes"});
  c.model = wm.at("name").str();
  if (c.model != "rssm" && c.model != "rssmo") wm.at("name").fail("'" + c.model + "' is not a model aime has (rssm, rssmo)");
  const Field state_dim = wm.at("state_dim");
  if (state_dim.sequence_size() != 2) state_dim.fail("expected a list [deterministic, stochastic]");
  const std::int64_t h_size = state_dim.item(0).integer(), z_size = state_dim.item(1).integer();
  const std::int64_t hidden = wm.at("hidden_size").integer(), layers = wm.at("hidden_layers").integer();
  double min_std = 1e-6;  // the original's MIN_STD when min_std is null
  if (wm.has("min_std") && !wm.at("min_std").is_null()) min_std = wm.at("min_std").real();
  if (!(min_std >= 0)) wm.at("min_std").fail("must be >= 0");
  const bool norm = wm.has("norm") && !wm.at("norm").is_null();
  if (c.model == "rssm") {
    if (norm) wm.at("norm").fail("'" + wm.at("norm").str() + "': aime's RSSM has no norm in its MLPs (the original's rssm.yaml sets none)");
    c.rssm.deterministic_size = h_size;
    c.rssm.stochastic_size = z_size;
    c.rssm.hidden_size = hidden;
    c.rssm.hidden_layers = layers;
    c.rssm.min_std = min_std;
  } else {
    if (!norm || wm.at("norm").str() != "ln")
      wm.at(norm ? "norm" : "name").fail("RSSMO has LayerNorm in its MLPs (norm: ln); other norms are not supported");
    c.rssmo.deterministic_size = h_size;
    c.rssmo.stochastic_size = z_size;
    c.rssmo.hidden_size = hidden;
    c.rssmo.min_std = min_std;
    c.rssm.hidden_layers = layers;
  }
  const std::string reweight = wm.has("nll_reweight") ? wm.at("nll_reweight").str() : "dim_wise";
  if (reweight == "dim_wise") c.nll_reweight = distributions::NllReweight::DimWise;
  else if (reweight == "none") c.nll_reweight = distributions::NllReweight::None;
  else wm.at("nll_reweight").fail("'" + reweight + "' is not supported (aime has dim_wise and none)");
  const std::string idm = wm.has("idm_mode") ? wm.at("idm_mode").str() : "none";
  if (idm != "detach" && idm != "none")
    wm.at("idm_mode").fail("'" + idm + "' is not supported (aime trains the IDM on detached features: detach, or none)");
  c.idm = idm == "detach";
  c.idm_hidden_size = hidden;
  c.idm_hidden_layers = layers;
  c.kl_scale = wm.has("kl_scale") ? wm.at("kl_scale").real() : 1.0;
  c.free_nats = wm.has("free_nats") ? wm.at("free_nats").real() : 0.0;
  c.kl_rebalance = wm.has("kl_rebalance") && !wm.at("kl_rebalance").is_null() ? wm.at("kl_rebalance").real() : -1.0;
  if (c.kl_rebalance >= 0 && !(c.kl_rebalance <= 1)) wm.at("kl_rebalance").fail("must be in [0, 1] or null");

  // ---- the sensors' roles (get_inputs_outputs) ----
  std::vector<std::string> inputs, probes;
  for (const auto& l : layout) {
    if (run.setup == Setup::MDP) {
      if (l.modality == "tabular") inputs.push_back(l.name);
    } else if (run.setup == Setup::LPOMDP) {
      if (l.modality == "tabular") (l.order == "first" ? inputs : probes).push_back(l.name);
    } else {
      (l.modality == "visual" ? inputs : probes).push_back(l.name);
    }
  }
  if (inputs.empty()) sensors.fail("the " + setup + " setup finds no sensor to encode");
  std::map<std::string, std::string> modality;
  for (const auto& l : layout) modality[l.name] = l.modality;
  bool any_tabular_output = false, any_visual = false;
  for (const auto& s : inputs) (modality[s] == "tabular" ? any_tabular_output : any_visual) = true;

  // ---- encoders, decoders and probes per modality ----
  const Field encoders = wm.at("encoders"), decoders = wm.at("decoders");
  encoders.keys({"tabular", "visual"});
  decoders.keys({"tabular", "visual"});
  if (any_visual) {
    for (const Field& f : {encoders.at("visual"), decoders.at("visual")}) {
      f.keys({"name"});
      if (f.at("name").str() != "cnn_ha") f.at("name").fail("'" + f.at("name").str() + "' is not supported (aime has cnn_ha)");
    }
  }
  if (any_tabular_output) {
    const Field enc = encoders.at("tabular");
    const std::string name = enc.at("name").str();
    if (name == "mlp") {
      enc.keys({"name", "hidden_size", "hidden_layers", "hidden_activation", "norm", "have_head"});
      if (enc.has("have_head") && enc.at("have_head").as<bool>("a bool"))
        enc.at("have_head").fail("true is not supported (aime's vector encoder ends at its last hidden layer)");
      c.vector_encoder = head_of(enc);
    } else if (name == "identity") {
      enc.keys({"name"});
      if (c.model == "rssmo") enc.at("name").fail("'identity' with rssmo is not supported (aime's RSSMO encodes vectors with an mlp)");
    } else {
      enc.at("name").fail("'" + name + "' is not supported (aime has identity and mlp)");
    }
  }
  // The vector decoders' settings, read even when the setup reconstructs no vector (they
  // are then unused, and only refused where they are used).
  if (any_tabular_output || decoders.has("tabular")) {
    const Field dec = decoders.at("tabular");
    const std::string dname = dec.at("name").str();
    if (dname == "smlp" || dname == "dmlp") {
      dec.keys(kHeadKeys);
      c.stochastic_vector_decoder = dname == "smlp";
      const WorldModelConfig::Head h = head_of(dec);
      c.head_hidden_size = h.hidden_size;
      c.head_hidden_layers = h.hidden_layers;
      c.head_layer_norm = h.layer_norm;
      c.head_activation = h.activation;
    } else if (any_tabular_output) {
      dec.at("name").fail("'" + dname + "' is not supported (aime has smlp and dmlp)");
    }
  }
  bool any_tabular_probe = false;
  for (const auto& s : probes) any_tabular_probe = any_tabular_probe || modality[s] == "tabular";
  for (const auto& s : probes)
    if (modality[s] == "visual") sensors.fail("probing the visual sensor '" + s + "' is not supported");
  if (any_tabular_probe) {
    const Field pr = wm.at("probes").at("tabular");
    pr.keys(kHeadKeys);
    if (pr.at("name").str() != "dmlp") pr.at("name").fail("'" + pr.at("name").str() + "' is not supported (probes are dmlp)");
    c.probe_head = head_of(pr);
  }

  // ---- sizes from the state dict ----
  auto need = [&](const Tensor* t, const std::string& what) -> const Tensor& {
    if (!t) throw ValueError(source + ": the state dict has no " + what + ", which the config's " + setup + " setup needs");
    return *t;
  };
  auto spec_of = [&](const std::string& s, bool probe) {
    if (modality[s] == "visual") {
      const Tensor& w = need(sd.find("encoders." + s + ".net.0.weight"), "encoders." + s + ".net.0.weight");
      if (w.dim() != 4) throw ValueError(source + ": encoders." + s + ".net.0.weight is not a convolution's weight");
      c.cnn_width = w.shape()[0];
      return SensorSpec{s, {w.shape()[1], 64, 64}};
    }
    const std::string prefix = probe ? "probes." + s + ".net.net."
                                     : (c.stochastic_vector_decoder ? "decoders." + s + ".mu_net.net." : "decoders." + s + ".net.net.");
    const Tensor& w = need(last_layer(sd, prefix), prefix + "<N>.weight");
    return SensorSpec{s, {w.shape()[0]}};
  };
  for (const auto& s : inputs) c.inputs.push_back(spec_of(s, false));
  c.outputs = c.inputs;
  for (const auto& s : probes) c.probes.push_back(spec_of(s, true));
  const std::string first = c.model == "rssm" ? "memory_cell.weight_ih" : "pre_memory.net.0.weight";
  const Tensor& w = need(sd.find(first), first);
  if (w.dim() != 2 || w.shape()[1] <= z_size)
    throw ValueError(source + ": " + first + " has shape [" + std::to_string(w.dim() ? w.shape()[0] : 0) + ", ...], "
                     "too narrow for the state_dim's stochastic size " + std::to_string(z_size) + " plus actions");
  c.action_size = w.shape()[1] - z_size;
  return out;
}

std::string original_config_yaml(const WorldModelConfig& c, const OriginalRun& run) {
  for (const auto& s : c.inputs)
    if (s.is_image() && s.shape[1] != 64)
      throw ValueError("config.yaml: the original's cnn_ha reads 64x64 images; this model's '" + s.name + "' is " +
                       std::to_string(s.shape[1]) + "x" + std::to_string(s.shape[2]) + " (aime's own 32x32 variant)");
  if (c.cnn_width != 32) {
    bool image = false;
    for (const auto& s : c.inputs) image = image || s.is_image();
    if (image)
      throw ValueError("config.yaml: the original's cnn_ha has width 32; this model's cnn_width is " + std::to_string(c.cnn_width));
  }
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "seed" << YAML::Value << run.seed;
  if (!run.dataset.empty()) y << YAML::Key << "embodiment_dataset_name" << YAML::Value << run.dataset;
  y << YAML::Key << "environment_setup" << YAML::Value << setup_name(run.setup);
  y << YAML::Key << "world_model" << YAML::Value << YAML::BeginMap;
  const bool rssm = c.model == "rssm";
  auto head = [&](const std::string& name, std::int64_t size, std::int64_t layers, bool ln, const std::string& act,
                  bool encoder) {
    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
    y << YAML::Key << "hidden_size" << YAML::Value << size << YAML::Key << "hidden_layers" << YAML::Value << layers;
    y << YAML::Key << "hidden_activation" << YAML::Value << activation_name(act);
    if (ln) y << YAML::Key << "norm" << YAML::Value << "ln";
    if (encoder) y << YAML::Key << "have_head" << YAML::Value << false;
    y << YAML::EndMap;
  };
  y << YAML::Key << "name" << YAML::Value << c.model;
  y << YAML::Key << "state_dim" << YAML::Value << YAML::Flow << YAML::BeginSeq
    << (rssm ? c.rssm.deterministic_size : c.rssmo.deterministic_size)
    << (rssm ? c.rssm.stochastic_size : c.rssmo.stochastic_size) << YAML::EndSeq;
  y << YAML::Key << "hidden_size" << YAML::Value
    << (c.idm_hidden_size >= 0 ? c.idm_hidden_size : (rssm ? c.rssm.hidden_size : c.head_hidden_size));
  y << YAML::Key << "hidden_layers" << YAML::Value << (c.idm_hidden_layers >= 0 ? c.idm_hidden_layers : c.head_hidden_layers);
  if (rssm && (c.idm_hidden_size >= 0 ? c.idm_hidden_size : c.head_hidden_size) != c.rssm.hidden_size)
    throw ValueError("config.yaml: the original's RSSM uses world_model.hidden_size for both its MLPs and the IDM; "
                     "this model has " + std::to_string(c.rssm.hidden_size) + " and " +
                     std::to_string(c.idm_hidden_size >= 0 ? c.idm_hidden_size : c.head_hidden_size));
  if (!rssm) y << YAML::Key << "norm" << YAML::Value << "ln";
  y << YAML::Key << "nll_reweight" << YAML::Value
    << (c.nll_reweight == distributions::NllReweight::DimWise ? "dim_wise" : "none");
  y << YAML::Key << "idm_mode" << YAML::Value << (c.idm ? "detach" : "none");
  const double min_std = rssm ? c.rssm.min_std : c.rssmo.min_std;
  y << YAML::Key << "min_std" << YAML::Value;
  if (min_std == 1e-6) y << YAML::Null;  // the original's MIN_STD, written as its configs do
  else y << min_std;
  y << YAML::Key << "kl_scale" << YAML::Value << c.kl_scale;
  y << YAML::Key << "free_nats" << YAML::Value << c.free_nats;
  y << YAML::Key << "kl_rebalance" << YAML::Value;
  if (c.kl_rebalance < 0) y << YAML::Null;
  else y << c.kl_rebalance;
  y << YAML::Key << "encoders" << YAML::Value << YAML::BeginMap << YAML::Key << "tabular" << YAML::Value;
  if (c.vector_encoder)
    head("mlp", c.vector_encoder->hidden_size, c.vector_encoder->hidden_layers, c.vector_encoder->layer_norm,
         c.vector_encoder->activation, true);
  else if (rssm)
    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "identity" << YAML::EndMap;
  else
    head("mlp", 512, 2, true, "silu", true);
  y << YAML::Key << "visual" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "cnn_ha" << YAML::EndMap;
  y << YAML::EndMap;
  y << YAML::Key << "decoders" << YAML::Value << YAML::BeginMap << YAML::Key << "tabular" << YAML::Value;
  head(c.stochastic_vector_decoder ? "smlp" : "dmlp", c.head_hidden_size, c.head_hidden_layers, c.head_layer_norm,
       c.head_activation, false);
  y << YAML::Key << "visual" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "cnn_ha" << YAML::EndMap;
  y << YAML::EndMap;
  const WorldModelConfig::Head probe =
      c.probe_head ? *c.probe_head
                   : WorldModelConfig::Head{c.head_hidden_size, c.head_hidden_layers, c.head_layer_norm, c.head_activation};
  y << YAML::Key << "probes" << YAML::Value << YAML::BeginMap << YAML::Key << "tabular" << YAML::Value;
  head("dmlp", probe.hidden_size, probe.hidden_layers, probe.layer_norm, probe.activation, false);
  y << YAML::Key << "visual" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "cnn_ha" << YAML::EndMap;
  y << YAML::EndMap;
  y << YAML::EndMap;  // world_model
  y << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "class" << YAML::Value << run.env_class;
  y << YAML::Key << "name" << YAML::Value << "${env.embodiment}-${env.task}";
  y << YAML::Key << "embodiment" << YAML::Value << run.embodiment << YAML::Key << "task" << YAML::Value << run.task;
  y << YAML::Key << "action_repeat" << YAML::Value << run.action_repeat;
  // The sensors with the modality and order that give back this model's roles: in lpomdp the
  // probes are the second-order sensors; elsewhere "velocity" is (docs/original.md, Setups).
  y << YAML::Key << "sensors" << YAML::Value << YAML::BeginMap;
  std::set<std::string> written;
  auto sensor = [&](const SensorSpec& s, bool second) {
    if (!written.insert(s.name).second) return;
    y << YAML::Key << s.name << YAML::Value << YAML::BeginMap << YAML::Key << "modility" << YAML::Value
      << (s.is_image() ? "visual" : "tabular") << YAML::Key << "order" << YAML::Value << (second ? "second" : "first")
      << YAML::EndMap;
  };
  for (const auto& s : c.inputs) sensor(s, run.setup != Setup::LPOMDP && s.name == "velocity");
  for (const auto& s : c.probes) sensor(s, run.setup == Setup::LPOMDP || s.name == "velocity");
  y << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  if (!y.good()) throw Error(std::string("config.yaml: yaml-cpp: ") + y.GetLastError());
  return std::string(y.c_str()) + "\n";
}

#endif

void OriginalRun::set_env(const std::string& name) {
  const std::size_t dash = name.find('-');
  embodiment = dash == std::string::npos ? (name.empty() ? "unknown" : name) : name.substr(0, dash);
  task = dash == std::string::npos ? "unknown" : name.substr(dash + 1);
}

OriginalConfig read_original_config(const std::string& path, const nn::StateDict& original) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_original_config(text.str(), path, original);
}

}  // namespace aime::models
