// aime_step: times one step of AIME's phase 2 (the policy's objective through the frozen
// world model: the filter with the policy as action source, the ELBO, backward, the clip at
// 100, Adam on the policy) at the original's configurations, and dumps it for a check
// against the original's SSM.filter_with_policy.
//
//   aime_step --model rssm|rssmo --setup visual|mdp [--batch 50] [--horizon 50] [--seed 0]
//             [--dtype float32|float64] [--threads K] [--steps 10] [--warmup 2]
//             [--variant plain|klonly|idm|idm_klonly] [--kl-rebalance model|none|ALPHA]
//             [--config INI] [--dump DIR]
//
// The models and sensors are train_step's (RSSM: the walker's, RSSMO: the cheetah's; visual
// adds the image and probes the vectors); the policy is the original's (MLP 128 x 2, ELU).
// --config reads state-size, hidden-size and cnn-width from an INI file (configs/small.ini)
// for smaller models; other keys are ignored. --kl-rebalance: the KL balancing of the
// objective (default: the model's own, as the original's code computes it). The last line
// printed is one JSON object: median_step_s, samples_per_s, the configuration.
//
// --dump DIR writes, instead of timing (float64 recommended):
//   DIR/weights.safetensors     the world model (aime's keys), metadata: world_model.*,
//                               check.dtype, check.noise_seed, check.kl_rebalance;
//   DIR/policy.safetensors      the policy, with the same metadata and policy.hidden_*;
//   DIR/batch.safetensors       the demonstrations' sensors and pre_action, [T, B, ...];
//   DIR/expected_<variant>.safetensors for plain, klonly, idm, idm_klonly: loss, kl,
//                               reconstruction_loss (the decoders' and the probes', as the
//                               original's metric), actions [T, B, A] and grad.<key> for
//                               every policy parameter, each variant from a generator
//                               seeded with check.noise_seed.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "algorithms/aime.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "benchmarks/original_workload.h"
#include "nn/serialize/safetensors.h"

using namespace aime;
namespace po = boost::program_options;

namespace {

const std::vector<std::string> kVariants = {"plain", "klonly", "idm", "idm_klonly"};

algorithms::AimeOptions variant_options(const std::string& variant, double kl_rebalance) {
  algorithms::AimeOptions o;
  o.kl_only = variant == "klonly" || variant == "idm_klonly";
  o.use_idm = variant == "idm" || variant == "idm_klonly";
  o.kl_rebalance = kl_rebalance;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("aime_step: time (or dump) one step of AIME's phase 2");
  options.add_options()("help,h", "show this help")
      ("model", po::value<std::string>()->default_value("rssm"), "rssm or rssmo")
      ("setup", po::value<std::string>()->default_value("mdp"), "visual or mdp")
      ("batch", po::value<long>()->default_value(50), "demonstration windows per batch")
      ("horizon", po::value<long>()->default_value(50), "steps per window")
      ("seed", po::value<unsigned long>()->default_value(0), "weights, batch; the noise is seed + 1")
      ("dtype", po::value<std::string>()->default_value("float32"), "float32 or float64")
      ("threads", po::value<long>()->default_value(num_threads()), "CPU threads")
      ("steps", po::value<long>()->default_value(10), "timed steps")
      ("warmup", po::value<long>()->default_value(2), "untimed steps first")
      ("variant", po::value<std::string>()->default_value("plain"), "plain, klonly, idm or idm_klonly (timing)")
      ("kl-rebalance", po::value<std::string>()->default_value("model"), "model, none or an alpha in [0, 1]")
      ("config", po::value<std::string>(), "INI with state-size, hidden-size, cnn-width")
      ("dump", po::value<std::string>(), "write the check files to DIR instead of timing");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "aime_step: " << e.what() << "\n" << options << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  try {
    const std::string model_name = vm["model"].as<std::string>(), setup_name = vm["setup"].as<std::string>();
    const std::string dtype_name = vm["dtype"].as<std::string>(), variant = vm["variant"].as<std::string>();
    const long batch = vm["batch"].as<long>(), horizon = vm["horizon"].as<long>(), threads = vm["threads"].as<long>();
    const long steps = vm["steps"].as<long>(), warmup = vm["warmup"].as<long>();
    const unsigned long seed = vm["seed"].as<unsigned long>();
    if (model_name != "rssm" && model_name != "rssmo") throw ValueError("--model must be rssm or rssmo");
    if (setup_name != "visual" && setup_name != "mdp") throw ValueError("--setup must be visual or mdp");
    if (dtype_name != "float32" && dtype_name != "float64") throw ValueError("--dtype must be float32 or float64");
    if (std::find(kVariants.begin(), kVariants.end(), variant) == kVariants.end())
      throw ValueError("--variant must be plain, klonly, idm or idm_klonly");
    if (batch < 1 || horizon < 2 || threads < 1 || steps < 1 || warmup < 0)
      throw ValueError("need batch >= 1, horizon >= 2, threads >= 1, steps >= 1, warmup >= 0");
    const std::string rebalance = vm["kl-rebalance"].as<std::string>();
    const double kl_rebalance = rebalance == "model" ? models::ElboOptions::kModel
                                : rebalance == "none" ? -1.0
                                                      : std::stod(rebalance);
    const DType dtype = dtype_name == "float64" ? kFloat64 : kFloat32;
    set_num_threads(static_cast<int>(threads));

    const std::vector<models::SensorSpec> sensors = benchmarks::original_sensors(model_name, setup_name);
    auto config = models::WorldModelConfig::original(model_name, models::parse_setup(setup_name), sensors, 6);
    if (vm.count("config")) {  // smaller models: the keys train-model's INI files use
      po::options_description ini;
      ini.add_options()("state-size", po::value<std::string>())("hidden-size", po::value<long>())("cnn-width", po::value<long>());
      std::ifstream in(vm["config"].as<std::string>());
      if (!in) throw Error(vm["config"].as<std::string>() + ": cannot open");
      po::variables_map c;
      po::store(po::parse_config_file(in, ini, true), c);
      if (c.count("state-size")) {
        const std::string s = c["state-size"].as<std::string>();
        const auto comma = s.find(',');
        if (comma == std::string::npos) throw ValueError("state-size must be DETERMINISTIC,STOCHASTIC, got '" + s + "'");
        config.rssm.deterministic_size = config.rssmo.deterministic_size = std::stol(s.substr(0, comma));
        config.rssm.stochastic_size = config.rssmo.stochastic_size = std::stol(s.substr(comma + 1));
      }
      if (c.count("hidden-size"))
        config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = c["hidden-size"].as<long>();
      if (c.count("cnn-width")) config.cnn_width = c["cnn-width"].as<long>();
    }
    Generator gen(seed);
    models::WorldModel model(config, gen);
    models::TanhGaussianPolicy policy(model.ssm().feature_size(), config.action_size, 128, 2, gen);
    model.to(dtype);
    policy.to(dtype);
    model.freeze();
    const Batch demos = benchmarks::synthetic_batch(sensors, horizon, batch, config.action_size, dtype, Device::cpu(), gen);
    const std::uint64_t noise_seed = seed + 1;

    if (vm.count("dump")) {
      const std::string dir = vm["dump"].as<std::string>();
      nn::Metadata meta = config.to_metadata();
      meta["check.dtype"] = dtype_name;
      meta["check.noise_seed"] = std::to_string(noise_seed);
      meta["check.kl_rebalance"] = rebalance;
      nn::save_safetensors(dir + "/weights.safetensors", model.state_dict(), meta);
      meta["policy.hidden_size"] = "128";
      meta["policy.hidden_layers"] = "2";
      nn::save_safetensors(dir + "/policy.safetensors", policy.state_dict(), meta);
      nn::save_safetensors(dir + "/batch.safetensors", demos);
      for (const std::string& v : kVariants) {
        policy.zero_grad(true);
        Generator noise(noise_seed);
        const algorithms::AimeOptions o = variant_options(v, kl_rebalance);
        const algorithms::AimeTerms terms = algorithms::aime_objective(model, policy, demos, noise, o);
        terms.loss.backward();
        // The original's reconstruction_loss metric: the decoders' (reweighted) and the probes'.
        Tensor reconstruction;
        {
          NoGradGuard no_grad;
          const models::ElboTerms full =
              model.elbo_of(terms.elbo.filtered, model.embed(demos), demos, models::ElboOptions::policy_objective(false, kl_rebalance));
          reconstruction = full.reconstruction_loss;
          for (const auto& [name, nll] : model.probe_losses(terms.elbo.filtered.features(), demos, false))
            reconstruction = reconstruction + nll;
        }
        nn::StateDict expected;
        expected.set("loss", terms.loss.detach());
        expected.set("kl", terms.elbo.kl.detach());
        expected.set("reconstruction_loss", reconstruction);
        expected.set("actions", terms.actions.detach());
        for (const auto& [name, p] : policy.named_parameters())
          expected.set("grad." + name, p.grad().defined() ? p.grad() : zeros(p.shape(), p.dtype()));
        nn::save_safetensors(dir + "/expected_" + v + ".safetensors", expected);
        std::fprintf(stderr, "aime_step: %s: loss %.12g, kl %.12g\n", v.c_str(), terms.loss.item(), terms.elbo.kl.item());
      }
      std::fprintf(stderr, "aime_step: wrote %s/{weights,policy,batch,expected_*}.safetensors\n", dir.c_str());
      return 0;
    }

    algorithms::OptimizerGroup group{"policy", policy.parameters(), {}, 100.0};
    algorithms::TrainingStep training({group});
    Generator noise(noise_seed);
    const algorithms::AimeOptions o = variant_options(variant, kl_rebalance);
    auto step = [&] {
      algorithms::AimeTerms terms;
      training.run([&] {
        terms = algorithms::aime_objective(model, policy, demos, noise, o);
        return terms.loss;
      });
      return terms.loss.item();
    };
    std::fprintf(stderr, "aime_step: %s %s %s, B=%ld T=%ld, %ld threads, model %lld + policy %lld parameters\n",
                 model_name.c_str(), setup_name.c_str(), variant.c_str(), batch, horizon, threads,
                 static_cast<long long>(model.num_parameters()), static_cast<long long>(policy.num_parameters()));
    for (long i = 0; i < warmup; ++i) step();
    std::vector<double> times;
    double loss = 0;
    for (long i = 0; i < steps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      loss = step();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fprintf(stderr, "step %ld: %.4f s, loss %.6g\n", i, times.back(), loss);
    }
    std::sort(times.begin(), times.end());
    const double median = times.size() % 2 ? times[times.size() / 2]
                                           : 0.5 * (times[times.size() / 2 - 1] + times[times.size() / 2]);
    std::printf("{\"model\": \"%s\", \"setup\": \"%s\", \"variant\": \"%s\", \"kl_rebalance\": \"%s\", \"dtype\": \"%s\", "
                "\"batch\": %ld, \"horizon\": %ld, \"threads\": %ld, \"steps\": %ld, \"warmup\": %ld, "
                "\"median_step_s\": %.6f, \"min_step_s\": %.6f, \"samples_per_s\": %.1f, \"last_loss\": %.6g}\n",
                model_name.c_str(), setup_name.c_str(), variant.c_str(), rebalance.c_str(), dtype_name.c_str(), batch,
                horizon, threads, steps, warmup, median, times.front(), batch * horizon / median, loss);
  } catch (const std::exception& e) {
    std::cerr << "aime_step: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
