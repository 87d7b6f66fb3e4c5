// aime imitate: phase 2, a policy from observation-only demonstrations (AIME) or one of the
// baselines (BC, BCO(0), IIDM); aime evaluate: policies in an environment, as a results
// table (Markdown and CSV) and a plot of the return over training.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "algorithms/aime.h"
#include "algorithms/baselines.h"
#include "algorithms/checkpoint.h"
#include "algorithms/model_training.h"
#include "algorithms/policy_checkpoint.h"
#include "apps/command.h"
#include "apps/line_plot.h"
#include "apps/options.h"
#include "apps/parallel_run.h"
#include "apps/progress.h"
#include "autograd/api.h"
#include "envs/collect.h"
#include "io/atomic_file.h"

namespace aime::app {

namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

std::string fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void check_env(const std::string& name) {
  const auto names = envs::environment_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw UsageError("unknown --env '" + name + "' (built-in: " + list + ")");
  }
}

// One progress bar per phase, replaced when the phase changes.
struct PhaseProgress {
  std::string phase;
  std::unique_ptr<ProgressBar> bar;
  void operator()(const std::string& p, std::int64_t done, std::int64_t total) {
    if (p != phase || !bar) {
      phase = p;
      std::cerr << p << (total > 0 && p != "aime" ? " (epochs, at most; stops early)" : "") << "\n";
      bar = std::make_unique<ProgressBar>(total, p == "aime" ? "steps" : "epochs");
    }
    bar->update(done);
  }
};

// The renderer evaluation draws frames with: --renderer when given, else what the model's
// or the policy's training recorded (train.renderer; the original's DMC models were trained
// on MuJoCo's frames), else the canvas. Only walker and cheetah have the mujoco renderer.
std::string evaluation_renderer(const po::variables_map& vm, const nn::Metadata& recorded, const std::string& env) {
  if (vm.count("renderer")) return vm["renderer"].as<std::string>();
  const bool mujoco_env = env.rfind("walker-", 0) == 0 || env.rfind("cheetah-", 0) == 0;
  if (auto it = recorded.find("train.renderer"); it != recorded.end()) return mujoco_env ? it->second : "canvas";
  if (auto it = recorded.find("original.env_class"); it != recorded.end() && it->second == "dmc" && mujoco_env)
    return "mujoco";
  return "canvas";
}

int imitate(const std::vector<std::string>& args) {
  // Every default is a library option's own: AIME's (train_aime), the baselines' (their
  // regression fits), the evaluation's and the environment's.
  const algorithms::AimeTrainingOptions aime_defaults;
  const algorithms::BaselineOptions baseline_defaults;
  const envs::EnvironmentOptions env_defaults;
  std::string env_list;
  for (const auto& n : envs::environment_names()) env_list += (env_list.empty() ? "" : ", ") + n;
  po::options_description options(
      "aime imitate: learn a policy from demonstrations with AIME (observations only, through a frozen world model) "
      "or a baseline (bc: the true actions; bco: BCO(0); iidm)");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::vector<std::string>>()->composing(), "INI files of defaults (configs/*.ini); flags win")
      ("algo", po::value<std::string>(), "aime, bc, bco or iidm")
      ("demos", po::value<std::string>(), "demonstration episodes (AIME reads only their observations)")
      ("model", po::value<std::string>(), "aime: the world model folder (aime train-model)")
      ("embodiment", po::value<std::string>(), "bco, iidm: the action-labelled embodiment episodes")
      ("out", po::value<std::string>(), "run folder to write (policy.safetensors, metrics.csv, eval.csv)")
      ("env", po::value<std::string>()->default_value(""), ("environment for the tests during training: " + env_list).c_str())
      ("action-repeat", default_of(env_defaults.action_repeat), "the environment's action repeat (as collected)")
      ("episode-steps", default_of(env_defaults.episode_steps), "the environment's control steps per episode")
      ("renderer", po::value<std::string>(), "canvas or mujoco: how the test episodes' frames are drawn (default: as "
                                             "the model's or the demonstrations' frames were)")
      ("num-expert-trajectories", po::value<std::int64_t>()->default_value(100), "demonstration episodes used (the first N)")
      ("dataset-memory", po::value<std::string>()->default_value("auto"),
       "bytes of decoded episodes to hold in memory per folder (e.g. 4G; auto: half the RAM); larger folders are read per batch")
      ("expert-return", po::value<double>(), "100 on the normalised scale (default: the demonstrations' mean return)")
      ("seed", default_of(aime_defaults.seed), "fixes the policy's weights, the batches and the noise")
      ("test-seed", po::value<std::uint64_t>(), "seed of the test episodes (default: seed + 100)")
      ("test-period", default_of(aime_defaults.test_period), "epochs between tests")
      ("test-episodes", default_of(aime_defaults.evaluation.episodes), "episodes per test")
      ("final-test-episodes", default_of(aime_defaults.final_test_episodes), "episodes of the final test")
      ("epochs", default_of(aime_defaults.epochs), "aime: epochs")
      ("batches-per-epoch", default_of(aime_defaults.batches_per_epoch), "aime: steps per epoch")
      ("batch-size", default_of(aime_defaults.batch_size), "windows per batch")
      ("horizon", default_of(data::SequenceDatasetOptions{}.horizon), "aime: steps per window")
      ("lr", po::value<double>(), ("Adam learning rate (default: aime " + shortest(aime_defaults.lr) + ", baselines " + shortest(baseline_defaults.policy.lr) + ")").c_str())
      ("grad-clip", default_of(aime_defaults.grad_clip), "aime: gradient norm clip on the policy (<= 0: none)")
      ("kl-only", po::bool_switch(), "aime: the KL term only")
      ("use-idm", po::bool_switch(), "aime: actions from the model's IDM, the policy fitted to it by KL")
      ("oracle-actions", po::bool_switch(),
       "aime, as a check: filter with the demonstrations' true actions and regress them from the filtered state "
       "(BC in the model's state space: AIME's ceiling with this model)")
      ("policy-input", po::value<std::string>()->default_value("sample"),
       "aime: what the policy reads of the filtered state: sample ([h, z], the original's) or mean ([h, the "
       "posterior's mean]; the filter and the objective still sample z)")
      ("kl-scale", po::value<double>(), "aime: weight of the KL term (default: the world model's own; 1 = the true ELBO, 0 = reconstruction only)")
      ("kl-rebalance", po::value<std::string>()->default_value("none"),
       "aime: KL balancing in the objective: none (the original README's phase-2 setting, "
       "world_model.kl_rebalance=null), model (the world model's own, as the original's code does without that "
       "override) or an alpha in [0, 1]")
      ("policy-hidden-size", default_of(baseline_defaults.network.hidden_size), "policy MLP width")
      ("policy-hidden-layers", default_of(baseline_defaults.network.hidden_layers), "policy MLP hidden layers")
      ("setup", po::value<std::string>(), "baselines: visual, lpomdp or mdp (default: lpomdp; iidm: mdp)")
      ("stack", po::value<std::int64_t>(), "baselines: frames per input (default 5; 1 in mdp)")
      ("cnn-width", default_of(baseline_defaults.network.cnn_width), "baselines: base channels of the image encoder")
      ("min-epochs", default_of(baseline_defaults.policy.min_epochs), "baselines: epochs before early stopping")
      ("max-epochs", default_of(baseline_defaults.policy.max_epochs), "baselines: epochs at most")
      ("patience", default_of(baseline_defaults.policy.patience), "baselines: epochs without improvement before stopping")
      ("dynamics-min-steps", default_of(baseline_defaults.dynamics.min_steps), "bco, iidm: steps of the dynamics model at least")
      ("dynamics-min-epochs", po::value<std::int64_t>(), "bco, iidm: the dynamics model's min epochs (default: --min-epochs)")
      ("dynamics-max-epochs", po::value<std::int64_t>(), "bco, iidm: the dynamics model's max epochs (default: --max-epochs)")
      ("keep-embodiment", po::value<std::int64_t>()->default_value(0), "bco, iidm: the first N embodiment episodes (0: all)")
      ("val-windows", default_of(baseline_defaults.policy.max_val_windows), "baselines: validate on at most N windows (0: all)")
      ("metrics", default_of(aime_defaults.metrics_format),
       "aime: csv, or csv,tensorboard (TensorBoard event files in --out too)")
      ("check-replicas-every", default_of(aime_defaults.check_replicas_every),
       "aime under mpirun (data-parallel, --batch-size global; docs/distributed.md): steps between checks that the ranks' policies agree");
  po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  read_configs(vm, options);
  for (const char* key : {"algo", "demos", "out"})
    if (!vm.count(key)) throw UsageError(std::string("missing --") + key);
  const std::string algo = vm["algo"].as<std::string>();
  if (algo != "aime" && algo != "bc" && algo != "bco" && algo != "iidm")
    throw UsageError("--algo must be aime, bc, bco or iidm, got '" + algo + "'");
  const std::string env = vm["env"].as<std::string>();
  if (!env.empty()) check_env(env);
  const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
  const std::string out = vm["out"].as<std::string>();
  // Under mpirun, AIME's phase 2 is data-parallel; the baselines' fits are not (they would
  // each write the same folder).
  if (algo != "aime" && distributed::launched_by_mpi() && distributed::launcher_world_size() > 1)
    throw UsageError("--algo " + algo + " runs in one process; under mpirun only --algo aime is data-parallel");
  const ParallelRun run = algo == "aime" ? parallel_run() : ParallelRun{};

  algorithms::EvaluationOptions evaluation;
  evaluation.env = env;
  evaluation.env_options.action_repeat = vm["action-repeat"].as<int>();
  evaluation.env_options.episode_steps = vm["episode-steps"].as<std::int64_t>();
  evaluation.episodes = vm["test-episodes"].as<std::int64_t>();
  evaluation.seed = vm.count("test-seed") ? vm["test-seed"].as<std::uint64_t>() : seed + 100;
  const std::int64_t num_demos = vm["num-expert-trajectories"].as<std::int64_t>();
  if (num_demos < 1) throw UsageError("--num-expert-trajectories must be >= 1, got " + std::to_string(num_demos));
  nn::Metadata metadata{{"train.demos", vm["demos"].as<std::string>()}, {"train.env", env}};

  PhaseProgress progress;
  algorithms::ImitationCallbacks callbacks;
  callbacks.progress = std::ref(progress);
  callbacks.evaluated = [&](std::int64_t step, const algorithms::EvaluationResult& r) {
    std::cerr << "  test at step " << step << ": return " << fixed(r.mean) << " +- " << fixed(r.stddev)
              << ", normalised " << fixed(r.normalised_mean) << " (" << r.returns.size() << " episodes)\n";
  };
  auto set_expert_return = [&](const data::SequenceDataset& demos) {
    evaluation.expert_return =
        vm.count("expert-return") ? vm["expert-return"].as<double>() : algorithms::mean_episode_return(demos);
    std::cerr << demos.num_episodes() << " demonstrations from " << vm["demos"].as<std::string>() << " ("
              << demos.memory_summary() << "); expert return (normalised 100) = " << fixed(evaluation.expert_return) << "\n";
    metadata["train.expert_return"] = fixed(evaluation.expert_return, 3);
  };

  // Every folder is read with the same memory budget (--dataset-memory).
  auto folder_options = [&](std::int64_t horizon) {
    data::SequenceDatasetOptions d;
    d.horizon = horizon;
    if (vm["dataset-memory"].as<std::string>() != "auto")
      d.memory_budget = std::max<std::uint64_t>(1, parse_byte_size(vm["dataset-memory"].as<std::string>(), "--dataset-memory"));
    return d;
  };
  algorithms::ImitationResult result;
  if (algo == "aime") {
    if (!vm.count("model")) throw UsageError("--algo aime needs --model DIR (a world model folder)");
    algorithms::LoadedModel loaded = algorithms::load_pretrained_model(vm["model"].as<std::string>());
    models::WorldModel& model = *loaded.model;
    evaluation.env_options.renderer = evaluation_renderer(vm, loaded.metadata, env);
    evaluation.env_options.image_size = static_cast<int>(algorithms::frame_size_for(model.config().inputs));
    metadata["train.renderer"] = evaluation.env_options.renderer;
    data::SequenceDatasetOptions dso = folder_options(vm["horizon"].as<std::int64_t>());
    dso.max_episodes = num_demos;
    // Observations only (the actions, where the folder has them, are logged against, never
    // learned from); the reward for the expert's return; nothing else is read.
    const data::SequenceDataset head = data::index_first_episode(vm["demos"].as<std::string>());
    algorithms::check_dataset_fits_model(head, model.config(), vm["model"].as<std::string>(), false);
    dso.keys = algorithms::model_keys(model.config(), false, {"pre_action", "reward"}, head.keys());
    data::SequenceDataset demos(vm["demos"].as<std::string>(), dso);
    set_expert_return(demos);
    Generator gen(seed);
    models::TanhGaussianPolicy policy(model.ssm().feature_size(), model.config().action_size,
                                      vm["policy-hidden-size"].as<std::int64_t>(),
                                      vm["policy-hidden-layers"].as<std::int64_t>(), gen);
    algorithms::AimeTrainingOptions o;
    o.objective.kl_only = vm["kl-only"].as<bool>();
    const std::string rebalance = vm["kl-rebalance"].as<std::string>();
    if (rebalance == "none") {
      o.objective.kl_rebalance = -1.0;
    } else if (rebalance == "model") {
      o.objective.kl_rebalance = models::ElboOptions::kModel;
    } else {
      char* end = nullptr;
      o.objective.kl_rebalance = std::strtod(rebalance.c_str(), &end);
      if (rebalance.empty() || *end != '\0' || !(o.objective.kl_rebalance >= 0 && o.objective.kl_rebalance <= 1))
        throw UsageError("--kl-rebalance must be none, model or a number in [0, 1], got '" + rebalance + "'");
    }
    o.objective.use_idm = vm["use-idm"].as<bool>();
    o.objective.oracle_actions = vm["oracle-actions"].as<bool>();
    const std::string input = vm["policy-input"].as<std::string>();
    if (input != "sample" && input != "mean")
      throw UsageError("--policy-input must be sample or mean, got '" + input + "'");
    o.objective.policy_reads_mean = input == "mean";
    if (vm.count("kl-scale")) {
      o.objective.kl_scale = vm["kl-scale"].as<double>();
      if (!(o.objective.kl_scale >= 0)) throw UsageError("--kl-scale must be >= 0, got " + std::to_string(o.objective.kl_scale));
    }
    o.epochs = vm["epochs"].as<std::int64_t>();
    o.batches_per_epoch = vm["batches-per-epoch"].as<std::int64_t>();
    o.batch_size = vm["batch-size"].as<std::int64_t>();
    if (vm.count("lr")) o.lr = vm["lr"].as<double>();
    o.grad_clip = vm["grad-clip"].as<double>();
    o.seed = seed;
    o.evaluation = evaluation;
    o.test_period = vm["test-period"].as<std::int64_t>();
    o.final_test_episodes = vm["final-test-episodes"].as<std::int64_t>();
    o.out_dir = out;
    o.metadata = metadata;
    o.metadata["train.model"] = vm["model"].as<std::string>();
    o.communicator = run.comm;
    o.metrics_format = vm["metrics"].as<std::string>();
    o.check_replicas_every = vm["check-replicas-every"].as<std::int64_t>();
    std::cerr << "AIME: " << o.epochs * o.batches_per_epoch << " steps of " << o.batch_size << " windows x "
              << dso.horizon << " steps through the frozen " << model.config().model << " of "
              << vm["model"].as<std::string>() << (o.objective.kl_only ? " (kl only)" : "")
              << (o.objective.use_idm ? " (with the IDM)" : "")
              << (o.objective.oracle_actions ? " (oracle: the true actions, a check, not AIME)" : "")
              << (o.objective.policy_reads_mean ? " (the policy reads the posterior's mean)" : "")
              << run.describe(o.batch_size) << "\n";
    result = algorithms::train_aime(model, policy, demos, o, callbacks);
  } else {
    const std::string setup_name = vm.count("setup") ? vm["setup"].as<std::string>() : (algo == "iidm" ? "mdp" : "lpomdp");
    const models::Setup setup = models::parse_setup(setup_name);
    const std::int64_t stack = vm.count("stack") ? vm["stack"].as<std::int64_t>() : (setup == models::Setup::MDP ? 1 : 5);
    if (stack < 1) throw UsageError("--stack must be >= 1");
    // The networks' inputs and outputs follow the setup, chosen as a world model's would be
    // from the first episode's headers; the folders are read with those keys only (and
    // pre_action, and the reward for the expert's return).
    const data::SequenceDataset head = data::index_first_episode(vm["demos"].as<std::string>());
    std::int64_t action_size = 0;
    const auto sensors = algorithms::dataset_sensors(head, &action_size);
    const models::WorldModelConfig chosen = models::WorldModelConfig::original("rssm", setup, sensors, action_size);
    data::SequenceDatasetOptions dso = folder_options(stack + 1);
    dso.max_episodes = num_demos;
    dso.keys = algorithms::model_keys(chosen, false, {"pre_action", "reward"}, head.keys());
    data::SequenceDataset demos(vm["demos"].as<std::string>(), dso);
    set_expert_return(demos);
    const std::string demo_renderer = envs::dataset_renderer(vm["demos"].as<std::string>());
    evaluation.env_options.renderer = evaluation_renderer(
        vm, demo_renderer.empty() ? nn::Metadata{} : nn::Metadata{{"train.renderer", demo_renderer}}, env);
    evaluation.env_options.image_size = static_cast<int>(algorithms::frame_size_for(sensors));
    metadata["train.renderer"] = evaluation.env_options.renderer;
    algorithms::BaselineOptions o;
    o.network.inputs = chosen.inputs;
    o.outputs = chosen.outputs;
    o.network.stack = stack;
    o.network.action_size = action_size;
    o.network.hidden_size = vm["policy-hidden-size"].as<std::int64_t>();
    o.network.hidden_layers = vm["policy-hidden-layers"].as<std::int64_t>();
    o.network.cnn_width = vm["cnn-width"].as<std::int64_t>();
    o.policy.batch_size = vm["batch-size"].as<std::int64_t>();
    if (vm.count("lr")) o.policy.lr = vm["lr"].as<double>();
    o.policy.min_epochs = vm["min-epochs"].as<std::int64_t>();
    o.policy.max_epochs = vm["max-epochs"].as<std::int64_t>();
    o.policy.patience = vm["patience"].as<std::int64_t>();
    o.policy.max_val_windows = vm["val-windows"].as<std::int64_t>();
    o.policy.seed = seed;
    o.dynamics = o.policy;
    o.dynamics.min_steps = vm["dynamics-min-steps"].as<std::int64_t>();
    if (vm.count("dynamics-min-epochs")) o.dynamics.min_epochs = vm["dynamics-min-epochs"].as<std::int64_t>();
    if (vm.count("dynamics-max-epochs")) o.dynamics.max_epochs = vm["dynamics-max-epochs"].as<std::int64_t>();
    o.dynamics.seed = envs::derive_seed(seed, 1);
    o.evaluation = evaluation;
    o.test_period = vm["test-period"].as<std::int64_t>();
    o.final_test_episodes = vm["final-test-episodes"].as<std::int64_t>();
    o.seed = seed;
    o.out_dir = out;
    o.metadata = metadata;
    o.metadata["train.setup"] = setup_name;
    std::string inputs;
    for (const auto& s : o.network.inputs) inputs += (inputs.empty() ? "" : ", ") + s.name;
    std::cerr << algo << ": " << setup_name << " setup (" << inputs << "), stack " << stack << "\n";
    if (algo == "bc") {
      result = algorithms::train_bc(demos, o, callbacks);
    } else {
      if (!vm.count("embodiment")) throw UsageError("--algo " + algo + " needs --embodiment DIR (action-labelled data)");
      data::SequenceDatasetOptions eo = folder_options(stack + 1);
      eo.max_episodes = std::max<std::int64_t>(0, vm["keep-embodiment"].as<std::int64_t>());
      eo.keys = algorithms::model_keys(chosen, true);
      data::SequenceDataset embodiment(vm["embodiment"].as<std::string>(), eo);
      std::cerr << embodiment.num_episodes() << " embodiment episodes from " << vm["embodiment"].as<std::string>() << " ("
                << embodiment.memory_summary() << ")\n";
      result = algo == "bco" ? algorithms::train_bco(embodiment, demos, o, callbacks)
                             : algorithms::train_iidm(embodiment, demos, o, callbacks);
    }
  }
  std::cout << algo << ": " << result.steps << " policy steps; policy in " << out << "\n";
  if (result.final_evaluation)
    std::cout << "final test (" << result.final_evaluation->returns.size() << " episodes of " << env
              << "): return " << fixed(result.final_evaluation->mean) << " +- " << fixed(result.final_evaluation->stddev)
              << ", normalised " << fixed(result.final_evaluation->normalised_mean) << "\n";
  return 0;
}

// ---- aime evaluate -------------------------------------------------------------------

struct Run {
  std::string label, source;
  algorithms::EvaluationResult result;
  bool recorded = false;  // read from the run's final test record, not rolled here
};

struct Curve {
  std::vector<double> step, normalised;
};

Curve read_eval_csv(const std::string& dir) {
  Curve c;
  const std::string path = (fs::path(dir) / "eval.csv").string();
  std::ifstream in(path);
  if (!in) return c;
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ',');) header.push_back(cell);
  const auto col = std::find(header.begin(), header.end(), "normalised");
  if (col == header.end()) throw ValueError(path + ": no 'normalised' column");
  const auto k = static_cast<std::size_t>(col - header.begin());
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) row.push_back(std::atof(cell.c_str()));
    if (row.size() != header.size()) continue;
    c.step.push_back(row[0]);
    c.normalised.push_back(row[k]);
  }
  return c;
}

int evaluate(const std::vector<std::string>& args) {
  po::options_description options(
      "aime evaluate: roll policies in an environment and write a results table (Markdown, CSV) and a plot of the "
      "normalised return over training; runs of the same method (policy.algo or --label) are grouped into mean +- std "
      "over runs");
  options.add_options()("help,h", "show this help")
      ("policy", po::value<std::vector<std::string>>()->composing(),
       "a policy folder (aime imitate --out), or 'random' / 'expert' (the built-in ones); repeatable")
      ("label", po::value<std::vector<std::string>>()->composing(), "method name per --policy (default: its algo)")
      ("env", po::value<std::string>(), "environment")
      ("episodes", default_of(algorithms::EvaluationOptions{}.episodes), "episodes per policy")
      ("seed", default_of(algorithms::EvaluationOptions{}.seed), "seed of the episodes (the original's test seed)")
      ("action-repeat", default_of(envs::EnvironmentOptions{}.action_repeat), "the environment's action repeat")
      ("episode-steps", default_of(envs::EnvironmentOptions{}.episode_steps), "control steps per episode")
      ("renderer", po::value<std::string>(), "canvas or mujoco (default: per policy, as its training recorded)")
      ("expert-return", po::value<double>(), "100 on the normalised scale")
      ("demos", po::value<std::string>(), "or: measure the expert return as these demonstrations' mean return")
      ("rerun", po::bool_switch(), "roll every policy out, even one whose run folder recorded its final test "
                                   "with these settings (final_test.csv)")
      ("out", po::value<std::string>(), "write OUT.md, OUT.csv and OUT.png");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("policy") || !vm.count("env")) throw UsageError("needs --policy DIR (or random / expert) and --env ENV");
  const auto policies = vm["policy"].as<std::vector<std::string>>();
  const auto labels = vm.count("label") ? vm["label"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (!labels.empty() && labels.size() != policies.size())
    throw UsageError("--label: give one per --policy (" + std::to_string(policies.size()) + "), got " +
                     std::to_string(labels.size()));
  algorithms::EvaluationOptions o;
  o.env = vm["env"].as<std::string>();
  check_env(o.env);
  o.env_options.action_repeat = vm["action-repeat"].as<int>();
  o.env_options.episode_steps = vm["episode-steps"].as<std::int64_t>();
  o.episodes = vm["episodes"].as<std::int64_t>();
  o.seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("expert-return")) {
    o.expert_return = vm["expert-return"].as<double>();
  } else if (vm.count("demos")) {
    data::SequenceDatasetOptions dso;
    dso.horizon = 1;
    dso.keys = {"reward"};  // the returns only: the frames are never read
    o.expert_return = algorithms::mean_episode_return(data::SequenceDataset(vm["demos"].as<std::string>(), dso));
  }
  std::vector<Run> runs;
  ProgressBar bar(static_cast<std::int64_t>(policies.size()), "policies");
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const std::string& p = policies[i];
    Run run;
    run.source = p;
    if (p == "random" || p == "expert") {
      o.env_options.renderer = evaluation_renderer(vm, {}, o.env);
      auto env = envs::make_environment(o.env, o.env_options);
      auto policy = envs::make_policy(p, *env);
      run.label = p;
      run.result = algorithms::evaluate_policy(*policy, o);
    } else {
      algorithms::LoadedPolicy loaded = algorithms::load_policy(p);
      run.label = loaded.algo;
      o.env_options.renderer = evaluation_renderer(vm, loaded.metadata, o.env);
      o.env_options.image_size = static_cast<int>(algorithms::policy_frame_size(loaded.metadata));
      const auto recorded = vm["rerun"].as<bool>()
                                ? std::nullopt
                                : algorithms::read_evaluation_record((fs::path(p) / algorithms::kFinalTestFile).string(), o);
      run.recorded = recorded.has_value();
      run.result = recorded ? algorithms::summarise_returns(*recorded, o.expert_return)
                            : algorithms::evaluate_policy(*loaded.actor, o);
    }
    if (!labels.empty()) run.label = labels[i];
    std::cerr << p << " (" << run.label << "): return " << fixed(run.result.mean) << " +- " << fixed(run.result.stddev)
              << (run.recorded ? " (its final test, same episodes; --rerun rolls it again)" : "") << "\n";
    runs.push_back(run);
    bar.update(static_cast<std::int64_t>(i + 1));
  }
  // Methods in order of first appearance; each: mean and std over its runs' mean returns.
  std::vector<std::string> methods;
  for (const auto& r : runs)
    if (std::find(methods.begin(), methods.end(), r.label) == methods.end()) methods.push_back(r.label);
  std::ostringstream md, csv;
  md << "Environment `" << o.env << "`, " << o.episodes << " episodes per run (seed " << o.seed << "), expert return "
     << (o.expert_return > 0 ? fixed(o.expert_return) : std::string("not given")) << " = 100.\n\n";
  md << "| method | runs | return | normalised |\n|---|---|---|---|\n";
  csv << "method,run,source,return_mean,return_std,normalised_mean,normalised_std,episodes\n";
  for (const auto& m : methods) {
    std::vector<double> ret, norm;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const Run& r = runs[i];
      if (r.label != m) continue;
      ret.push_back(r.result.mean);
      norm.push_back(r.result.normalised_mean);
      csv << m << "," << ret.size() << "," << r.source << "," << r.result.mean << "," << r.result.stddev << ","
          << r.result.normalised_mean << "," << r.result.normalised_stddev << "," << r.result.returns.size() << "\n";
    }
    double rm, rs, nm, ns;
    algorithms::mean_and_stddev(ret, rm, rs);
    algorithms::mean_and_stddev(norm, nm, ns);
    if (ret.size() == 1) {  // one run: the spread over its episodes
      const Run& r = *std::find_if(runs.begin(), runs.end(), [&](const Run& x) { return x.label == m; });
      rs = r.result.stddev;
      ns = r.result.normalised_stddev;
    }
    md << "| " << m << " | " << ret.size() << " | " << fixed(rm) << " ± " << fixed(rs) << " | "
       << (o.expert_return > 0 ? fixed(nm) + " ± " + fixed(ns) : std::string("-")) << " |\n";
  }
  md << "\n± is the standard deviation over runs (seeds), or over episodes for a single run.\n";
  std::cout << md.str();
  if (vm.count("out")) {
    const std::string prefix = vm["out"].as<std::string>();
    if (fs::path(prefix).has_parent_path()) fs::create_directories(fs::path(prefix).parent_path());
    io::write_file_atomically(prefix + ".md", [&](std::ostream& out) { out << md.str(); });
    io::write_file_atomically(prefix + ".csv", [&](std::ostream& out) { out << csv.str(); });
    std::vector<PlotSeries> series;
    for (const auto& m : methods) {
      std::vector<Curve> curves;
      for (const auto& r : runs)
        if (r.label == m && r.source != "random" && r.source != "expert") {
          Curve c = read_eval_csv(r.source);
          if (!c.step.empty()) curves.push_back(c);
        }
      if (curves.empty()) continue;
      std::size_t n = curves[0].step.size();
      for (const auto& c : curves) n = std::min(n, c.step.size());
      PlotSeries s{m, {}, {}, {}};
      for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> steps, values;
        for (const auto& c : curves) {
          steps.push_back(c.step[i]);
          values.push_back(c.normalised[i]);
        }
        double sm, ss, vm_, vs;
        algorithms::mean_and_stddev(steps, sm, ss);
        algorithms::mean_and_stddev(values, vm_, vs);
        s.x.push_back(sm);
        s.y.push_back(vm_);
        if (curves.size() > 1) s.spread.push_back(vs);
      }
      series.push_back(s);
    }
    if (!series.empty() && std::any_of(series.begin(), series.end(), [](const PlotSeries& s) { return s.x.size() >= 2; }))
      write_line_plot(prefix + ".png", series, "policy gradient steps", "return over training (" + o.env +
                      "), mean and spread over seeds", 640, 400, "normalised return (expert = 100)");
    std::cout << "wrote " << prefix << ".md, " << prefix << ".csv" << (series.empty() ? "" : ", " + prefix + ".png")
              << "\n";
  }
  return 0;
}

}  // namespace

std::vector<Command> imitation_commands() {
  return {{"imitate", "learn a policy from demonstrations: AIME, BC, BCO(0), IIDM", imitate},
          {"evaluate", "evaluate policies in an environment: a results table and a plot", evaluate}};
}

}  // namespace aime::app
