// The command-line flags that reshape a world model's config, shared by the commands that
// build one (train-model, train-agent): each applies only where the command declares it and
// the user gave it (cnn-width always, from its default).
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <utility>

#include "apps/command.h"
#include "models/world_model_config.h"

namespace aime::app {

// "512,128" -> {512, 128}; UsageError otherwise.
inline std::pair<std::int64_t, std::int64_t> parse_state_size(const std::string& text) {
  const auto comma = text.find(',');
  try {
    if (comma != std::string::npos) return {std::stoll(text.substr(0, comma)), std::stoll(text.substr(comma + 1))};
  } catch (const std::exception&) {
  }
  throw UsageError("--state-size must be DETERMINISTIC,STOCHASTIC (e.g. 512,128), got '" + text + "'");
}

// --state-size, --hidden-size, --encoder-hidden-size, --cnn-width, --nll-reweight, --free-nats,
// --kl-scale, --kl-rebalance onto `config`.
inline void apply_world_model_flags(const boost::program_options::variables_map& vm, models::WorldModelConfig& config) {
  if (vm.count("state-size")) {
    const auto [h, z] = parse_state_size(vm["state-size"].as<std::string>());
    config.rssm.deterministic_size = config.rssmo.deterministic_size = h;
    config.rssm.stochastic_size = config.rssmo.stochastic_size = z;
  }
  if (vm.count("hidden-size")) {
    const auto w = vm["hidden-size"].as<std::int64_t>();
    config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = w;
  }
  if (vm.count("encoder-hidden-size")) {
    // The MLP over the vector sensors in RSSMO's form (2 layers, LayerNorm, SiLU; the original's
    // encoders.tabular): its width is the embedding's size, which Plan2Explore's heads predict.
    const auto w = vm["encoder-hidden-size"].as<std::int64_t>();
    if (w < 1) throw UsageError("--encoder-hidden-size must be >= 1, got " + std::to_string(w));
    config.vector_encoder = models::WorldModelConfig::Head{w, 2, true, "silu"};
  }
  if (vm.count("cnn-width")) {
    config.cnn_width = vm["cnn-width"].as<std::int64_t>();
    if (config.cnn_width < 1) throw UsageError("--cnn-width must be >= 1");
  }
  if (vm.count("nll-reweight")) config.nll_reweight = distributions::parse_nll_reweight(vm["nll-reweight"].as<std::string>());
  if (vm.count("free-nats")) config.free_nats = vm["free-nats"].as<double>();
  if (vm.count("kl-scale")) config.kl_scale = vm["kl-scale"].as<double>();
  if (vm.count("kl-rebalance")) config.kl_rebalance = vm["kl-rebalance"].as<double>();
}

}  // namespace aime::app
