// aime train-agent: a model-based RL agent (Dreamer, or Plan2Explore's explorer) that learns
// in the world model's imagination and acts in a built-in environment (algorithms/dreamer.h).
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "algorithms/dreamer.h"
#include "apps/command.h"
#include "apps/options.h"
#include "apps/progress.h"
#include "apps/world_model_flags.h"

namespace aime::app {

namespace {

namespace po = boost::program_options;

int train_agent(const std::vector<std::string>& args) {
  const algorithms::DreamerTrainingOptions d;
  const algorithms::DreamerConfig dc;
  const envs::EnvironmentOptions env_defaults;
  std::string env_list;
  for (const auto& n : envs::environment_names()) env_list += (env_list.empty() ? "" : ", ") + n;
  po::options_description options(
      "aime train-agent: train a Dreamer or Plan2Explore agent in a built-in environment (the original's "
      "scripts/train_dreamer.py and train_plan2explore.py)");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::vector<std::string>>()->composing(),
       "INI files of defaults (configs/dreamer-*.ini); flags win")
      ("algo", po::value<std::string>()->default_value("dreamer"),
       "dreamer (the reward head's reward) or plan2explore (an ensemble's disagreement: exploration without reward)")
      ("env", po::value<std::string>(), ("environment: " + env_list).c_str())
      ("setup", po::value<std::string>()->default_value("mdp"), "visual, lpomdp or mdp: what the agent observes")
      ("out", po::value<std::string>(), "run folder (created)")
      ("resume", po::bool_switch(), "continue the run found in --out, exactly where its last epoch ended")
      ("seed", default_of(d.seed), "fixes the weights, the episodes and all noise")
      ("world-model", po::value<std::string>()->default_value("rssm"), "rssm or rssmo")
      ("state-size", po::value<std::string>(), "deterministic,stochastic sizes (default: the model's)")
      ("hidden-size", po::value<std::int64_t>(), "the world model's MLP width (default: the model's)")
      ("encoder-hidden-size", po::value<std::int64_t>(),
       "width of the MLP over the vector sensors, the embedding's size (default: the model's; RSSMO 512, RSSM none)")
      ("cnn-width", default_of(models::WorldModelConfig{}.cnn_width), "base channels of the image encoder and decoder")
      ("free-nats", po::value<double>(), "free nats (default: the model's)")
      ("kl-rebalance", po::value<double>(), "KL balancing alpha, < 0 for none (default: the model's)")
      ("epochs", default_of(d.epochs), "epochs: each is --updates-per-epoch iterations, then one training episode")
      ("updates-per-epoch", default_of(d.updates_per_epoch), "iterations (model, actor, value) per epoch")
      ("prefill-episodes", default_of(d.prefill_episodes), "random episodes before the first update")
      ("pretrain-updates", default_of(d.pretrain_updates), "updates of the model alone after the prefill")
      ("batch-size", default_of(d.batch_size), "windows per batch")
      ("horizon", default_of(d.horizon), "steps per window")
      ("imagination-horizon", default_of(dc.imagination_horizon), "imagined steps from each posterior state")
      ("gamma", default_of(dc.gamma), "discount")
      ("lambda", default_of(dc.lambda), "lambda of the lambda-returns")
      ("entropy-scale", default_of(dc.entropy_scale), "weight of the actor's KL to N(0, 0.88)")
      ("model-lr", default_of(dc.model_lr), "Adam learning rate of the world model")
      ("actor-lr", default_of(dc.actor_lr), "Adam learning rate of the actor")
      ("value-lr", default_of(dc.value_lr), "Adam learning rate of the value network")
      ("grad-clip", default_of(dc.grad_clip), "gradient norm clip of each of the three")
      ("actor-hidden-size", default_of(dc.actor_hidden_size), "actor MLP width")
      ("value-hidden-size", default_of(dc.value_hidden_size), "value MLP width")
      ("ensemble-size", default_of(dc.ensemble_size), "plan2explore: heads of the ensemble")
      ("ensemble-hidden-size", default_of(dc.ensemble_hidden_size), "plan2explore: width of each head")
      ("exploration-noise", default_of(d.exploration_noise), "std of Gaussian noise on the training episodes' actions (the original's 0)")
      ("eval-every", default_of(d.eval_every), "epochs between test episodes (and the model/ and policy/ folders)")
      ("eval-episodes", default_of(d.eval_episodes), "test episodes each time")
      ("action-repeat", default_of(env_defaults.action_repeat), "control steps per agent step")
      ("episode-steps", default_of(env_defaults.episode_steps), "control steps per episode")
      ("renderer", po::value<std::string>()->default_value(env_defaults.renderer), "canvas or mujoco (walker, cheetah)")
      ("image-size", default_of(env_defaults.image_size), "frames of N x N pixels: 64 (the original's) or 32");
  po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  read_configs(vm, options);
  if (!vm.count("env")) throw UsageError("missing --env NAME");
  if (!vm.count("out")) throw UsageError("missing --out DIR");
  const std::string algo = vm["algo"].as<std::string>();
  if (algo != "dreamer" && algo != "plan2explore")
    throw UsageError("--algo: expected dreamer or plan2explore, got '" + algo + "'");
  algorithms::DreamerTrainingOptions o;
  o.env = vm["env"].as<std::string>();
  o.setup = models::parse_setup(vm["setup"].as<std::string>());
  o.out_dir = vm["out"].as<std::string>();
  o.resume = vm["resume"].as<bool>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.epochs = vm["epochs"].as<std::int64_t>();
  o.updates_per_epoch = vm["updates-per-epoch"].as<std::int64_t>();
  o.prefill_episodes = vm["prefill-episodes"].as<std::int64_t>();
  o.pretrain_updates = vm["pretrain-updates"].as<std::int64_t>();
  o.batch_size = vm["batch-size"].as<std::int64_t>();
  o.horizon = vm["horizon"].as<std::int64_t>();
  o.eval_every = vm["eval-every"].as<std::int64_t>();
  o.eval_episodes = vm["eval-episodes"].as<std::int64_t>();
  o.exploration_noise = vm["exploration-noise"].as<double>();
  o.env_options.action_repeat = vm["action-repeat"].as<int>();
  o.env_options.episode_steps = vm["episode-steps"].as<std::int64_t>();
  o.env_options.renderer = vm["renderer"].as<std::string>();
  o.env_options.image_size = vm["image-size"].as<int>();
  o.dreamer.imagination_horizon = vm["imagination-horizon"].as<std::int64_t>();
  o.dreamer.gamma = vm["gamma"].as<double>();
  o.dreamer.lambda = vm["lambda"].as<double>();
  o.dreamer.entropy_scale = vm["entropy-scale"].as<double>();
  o.dreamer.model_lr = vm["model-lr"].as<double>();
  o.dreamer.actor_lr = vm["actor-lr"].as<double>();
  o.dreamer.value_lr = vm["value-lr"].as<double>();
  o.dreamer.grad_clip = vm["grad-clip"].as<double>();
  o.dreamer.actor_hidden_size = vm["actor-hidden-size"].as<std::int64_t>();
  o.dreamer.value_hidden_size = vm["value-hidden-size"].as<std::int64_t>();
  o.dreamer.algo = algo;
  o.dreamer.ensemble_size = vm["ensemble-size"].as<std::int64_t>();
  o.dreamer.ensemble_hidden_size = vm["ensemble-hidden-size"].as<std::int64_t>();
  o.dreamer.validate();
  const std::string world_model = vm["world-model"].as<std::string>();
  o.model_config = [&](const std::vector<models::SensorSpec>& sensors, std::int64_t action_size) {
    auto config = models::WorldModelConfig::original(world_model, o.setup, sensors, action_size);
    apply_world_model_flags(vm, config);
    return config;
  };
  // A run resumes from its checkpoint, agent.safetensors (algorithms/dreamer.cpp), and
  // refuses flags that describe another run; --resume on a fresh folder starts one.
  const bool resuming = o.resume && std::filesystem::exists(std::filesystem::path(o.out_dir) / "agent.safetensors");
  std::cerr << (resuming ? "resuming " : "training ") << algo << " on " << o.env << " (" << vm["setup"].as<std::string>()
            << ", " << world_model << ") into " << o.out_dir << ": " << o.epochs << " epochs of " << o.updates_per_epoch
            << " updates and one episode\n";
  ProgressBar bar(o.epochs, "epochs");
  const auto result = algorithms::train_dreamer(o, [&](const algorithms::DreamerProgress& p) {
    if ((p.epoch - 1) % o.eval_every == 0 || p.epoch == p.epochs) {  // the epochs that tested
      char line[200];
      std::snprintf(line, sizeof line, "epoch %lld/%lld: train return %.1f, test return %.1f (%.1f s per epoch)\n",
                    static_cast<long long>(p.epoch), static_cast<long long>(p.epochs), p.train_return, p.test_return,
                    p.seconds);
      std::cerr << line;
    }
    bar.update(p.epoch);
  });
  if (result.already_finished) {
    std::cout << o.out_dir << ": the run is finished (" << result.epochs << " epochs); raise --epochs to train further\n";
    return 0;
  }
  char line[200];
  std::snprintf(line, sizeof line, "%lld epochs: last test return %.1f; agent in %s (policy/: aime evaluate, aime collect --policy)\n",
                static_cast<long long>(result.epochs), result.last_test_return, o.out_dir.c_str());
  std::cout << line;
  return 0;
}

}  // namespace

std::vector<Command> agent_commands() {
  return {{"train-agent", "train a Dreamer or Plan2Explore agent in a built-in environment (model-based RL in imagination)", train_agent}};
}

}  // namespace aime::app
