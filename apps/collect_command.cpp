// aime collect: roll a policy in a built-in environment and write a dataset in the
// original's episode layout.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "apps/command.h"
#include "apps/options.h"
#include "apps/progress.h"
#include <filesystem>

#include "algorithms/policy_checkpoint.h"
#include "envs/collect.h"

namespace aime::app {

namespace {

int collect(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string env_list;
  for (const auto& n : envs::environment_names()) env_list += (env_list.empty() ? "" : ", ") + n;
  const envs::EnvironmentOptions env_defaults;
  po::options_description options("aime collect: write a dataset of episodes (0.npz, 1.npz, ...) from a policy");
  options.add_options()("help,h", "show this help")
      ("env", po::value<std::string>()->default_value("pendulum-swingup"), ("environment: " + env_list).c_str())
      ("policy", po::value<std::string>()->default_value("random"), "random, expert, noisy (expert + noise), mix, or gait (a sine per motor; for walker and cheetah, which have no scripted expert: mix = random / gait / noisy gait); or a folder: a trained policy (aime imitate's run, or aime train-agent's run or its policy/), acting by its mode")
      ("episodes", po::value<std::int64_t>()->default_value(10), "number of episodes")
      ("out", po::value<std::string>(), "output folder (created)")
      ("seed", po::value<std::uint64_t>()->default_value(0), "fixes every initial state and all policy noise")
      ("action-repeat", default_of(env_defaults.action_repeat), "control steps per agent step (rewards summed)")
      ("episode-steps", default_of(env_defaults.episode_steps), "control steps per episode")
      ("config", po::value<std::string>(), "an INI file of these settings (configs/env-*.ini); flags win")
      ("compress", po::bool_switch(), "deflate the .npz entries (as np.savez_compressed)")
      ("image-size", default_of(env_defaults.image_size),
       "frames of N x N pixels (64: the original's; a world model or baseline reads 64 or 32); "
       "with a trained policy, default: the size it reads")
      ("renderer", po::value<std::string>()->default_value(env_defaults.renderer),
       "canvas (aime's rasteriser, any env) or mujoco (MuJoCo's renderer with DMC's scene: walker, cheetah); "
       "recorded in OUT/renderer.txt");
  po::variables_map vm = parse_options(args, options);
  if (vm.count("config")) {
    std::ifstream in(vm["config"].as<std::string>());
    if (!in) throw Error(vm["config"].as<std::string>() + ": cannot open the config file");
    try {
      po::store(po::parse_config_file(in, options), vm);
    } catch (const po::error& e) {
      throw UsageError(vm["config"].as<std::string>() + ": " + e.what());
    }
    po::notify(vm);
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("out")) throw UsageError("missing --out DIR");
  const auto episodes = vm["episodes"].as<std::int64_t>();
  if (episodes < 1) throw UsageError("--episodes must be >= 1");
  const std::string env = vm["env"].as<std::string>(), policy = vm["policy"].as<std::string>();
  const std::string out = vm["out"].as<std::string>();
  std::cerr << "collecting " << episodes << " episodes of " << env << " with the " << policy << " policy into " << out
            << "\n";
  ProgressBar bar(episodes, "episodes");
  envs::EnvironmentOptions env_options;
  env_options.action_repeat = vm["action-repeat"].as<int>();
  env_options.episode_steps = vm["episode-steps"].as<std::int64_t>();
  env_options.renderer = vm["renderer"].as<std::string>();
  env_options.image_size = vm["image-size"].as<int>();
  const auto compression = vm["compress"].as<bool>() ? data::Compression::Deflate : data::Compression::Stored;
  auto on_episode = [&](std::int64_t i) { bar.update(i + 1); };
  envs::CollectSummary s;
  if (std::filesystem::is_directory(policy)) {
    // A trained policy; a train-agent run keeps its latest one in policy/.
    const std::string dir = std::filesystem::exists(std::filesystem::path(policy) / "policy" / "policy.safetensors")
                                ? (std::filesystem::path(policy) / "policy").string()
                                : policy;
    const algorithms::LoadedPolicy loaded = algorithms::load_policy(dir);
    // Frames at the size the policy reads unless --image-size says otherwise.
    if (vm["image-size"].defaulted())
      env_options.image_size = static_cast<int>(algorithms::policy_frame_size(loaded.metadata));
    s = envs::collect_dataset(env, *loaded.actor, episodes, out, vm["seed"].as<std::uint64_t>(), on_episode, compression,
                              env_options);
  } else {
    s = envs::collect_dataset(env, policy, episodes, out, vm["seed"].as<std::uint64_t>(), on_episode, compression,
                              env_options);
  }
  char line[256];
  std::snprintf(line, sizeof line, "%s %s: return %.1f +- %.1f (min %.1f, max %.1f) over %lld episodes\n", env.c_str(),
                policy.c_str(), s.mean(), s.stddev(), *std::min_element(s.returns.begin(), s.returns.end()),
                *std::max_element(s.returns.begin(), s.returns.end()), static_cast<long long>(episodes));
  std::cout << line;
  return 0;
}

}  // namespace

std::vector<Command> collect_commands() {
  return {{"collect", "roll a policy in a built-in environment and write a dataset of episodes", collect}};
}

}  // namespace aime::app
