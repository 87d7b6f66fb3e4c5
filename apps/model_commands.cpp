// aime train-model: phase 1 (the world model alone on an embodiment dataset);
// aime elbo: the evidence lower bound of a model on a dataset, per sensor.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include "algorithms/checkpoint.h"
#include "algorithms/model_training.h"
#include "apps/command.h"
#include "apps/options.h"
#include "apps/progress.h"
#include "autograd/aime.h"
#include "data/npz.h"
#include "data/png.h"
#include "data/sequence_sampler.h"

namespace aime::app {

namespace {

namespace po = boost::program_options;

std::pair<std::int64_t, std::int64_t> parse_state_size(const std::string& text) {
  const auto comma = text.find(',');
  try {
    if (comma != std::string::npos) return {std::stoll(text.substr(0, comma)), std::stoll(text.substr(comma + 1))};
  } catch (const std::exception&) {
  }
  throw UsageError("--state-size must be DETERMINISTIC,STOCHASTIC (e.g. 512,128), got '" + text + "'");
}

int train_model(const std::vector<std::string>& args) {
  po::options_description options("aime train-model: train a world model (phase 1) on an episode folder");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::vector<std::string>>()->composing(), "INI files of defaults (configs/*.ini); flags win")
      ("env", po::value<std::string>()->default_value(""), "the environment the data came from (recorded only)")
      ("dataset", po::value<std::string>(), "episode folder (0.npz, 1.npz, ...)")
      ("keep", po::value<std::int64_t>()->default_value(0), "use only the first N episodes (0: all)")
      ("world-model", po::value<std::string>()->default_value("rssm"), "rssm or rssmo")
      ("setup", po::value<std::string>()->default_value("visual"), "visual, lpomdp or mdp")
      ("state-size", po::value<std::string>(), "deterministic,stochastic sizes (default: the model's)")
      ("hidden-size", po::value<std::int64_t>(), "MLP width (default: the model's)")
      ("cnn-width", po::value<std::int64_t>()->default_value(32), "base channels of the image encoder and decoder")
      ("nll-reweight", po::value<std::string>(), "none or dim_wise (default: the model's)")
      ("free-nats", po::value<double>(), "free nats (default: the model's)")
      ("kl-scale", po::value<double>(), "weight of the KL term (default 1, the original's everywhere)")
      ("kl-rebalance", po::value<double>(), "KL balancing alpha, < 0 for none (default: the model's)")
      ("epochs", po::value<std::int64_t>()->default_value(1000), "epochs")
      ("batches-per-epoch", po::value<std::int64_t>()->default_value(100), "steps per epoch")
      ("batch-size", po::value<std::int64_t>()->default_value(50), "windows per batch")
      ("horizon", po::value<std::int64_t>()->default_value(50), "steps per window")
      ("lr", po::value<double>()->default_value(3e-4), "Adam learning rate")
      ("grad-clip", po::value<double>()->default_value(100.0), "gradient norm clip")
      ("checkpoint-every", po::value<std::int64_t>()->default_value(100), "steps between checkpoints")
      ("metrics", po::value<std::string>()->default_value("csv"), "csv or jsonl")
      ("seed", po::value<std::uint64_t>()->default_value(42), "fixes weights, batches and noise")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu, cuda or cuda:N (a CUDA build on a GPU machine)")
      ("out", po::value<std::string>(), "model folder to write")
      ("resume", po::bool_switch(), "continue the run found in --out");
  po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  read_configs(vm, options);
  if (!vm.count("dataset")) throw UsageError("missing --dataset DIR");
  if (!vm.count("out")) throw UsageError("missing --out MODEL_DIR");
  data::SequenceDatasetOptions dso;
  dso.horizon = vm["horizon"].as<std::int64_t>();
  data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  if (vm["keep"].as<std::int64_t>() > 0) dataset.keep(vm["keep"].as<std::int64_t>());
  std::int64_t action_size = 0;
  const auto sensors = algorithms::dataset_sensors(dataset, &action_size);
  auto config = models::WorldModelConfig::original(vm["world-model"].as<std::string>(),
                                                   models::parse_setup(vm["setup"].as<std::string>()), sensors, action_size);
  if (vm.count("state-size")) {
    const auto [h, z] = parse_state_size(vm["state-size"].as<std::string>());
    config.rssm.deterministic_size = config.rssmo.deterministic_size = h;
    config.rssm.stochastic_size = config.rssmo.stochastic_size = z;
  }
  if (vm.count("hidden-size")) {
    const auto w = vm["hidden-size"].as<std::int64_t>();
    config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = w;
  }
  config.cnn_width = vm["cnn-width"].as<std::int64_t>();
  if (config.cnn_width < 1) throw UsageError("--cnn-width must be >= 1");
  if (vm.count("nll-reweight")) config.nll_reweight = distributions::parse_nll_reweight(vm["nll-reweight"].as<std::string>());
  if (vm.count("free-nats")) config.free_nats = vm["free-nats"].as<double>();
  if (vm.count("kl-scale")) config.kl_scale = vm["kl-scale"].as<double>();
  if (vm.count("kl-rebalance")) config.kl_rebalance = vm["kl-rebalance"].as<double>();
  algorithms::ModelTrainingOptions o;
  o.epochs = vm["epochs"].as<std::int64_t>();
  o.batches_per_epoch = vm["batches-per-epoch"].as<std::int64_t>();
  o.batch_size = vm["batch-size"].as<std::int64_t>();
  o.lr = vm["lr"].as<double>();
  o.grad_clip = vm["grad-clip"].as<double>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.checkpoint_every = vm["checkpoint-every"].as<std::int64_t>();
  o.metrics_format = vm["metrics"].as<std::string>();
  o.out_dir = vm["out"].as<std::string>();
  o.resume = vm["resume"].as<bool>();
  o.device = Device::parse(vm["device"].as<std::string>());
  Generator gen(o.seed);
  models::WorldModel model(config, gen);
  std::cerr << "training " << config.model << " (" << vm["setup"].as<std::string>() << ", "
            << model.num_parameters() << " parameters) on " << dataset.num_episodes() << " episodes, "
            << dataset.num_windows() << " windows of " << dso.horizon << " steps\n";
  ProgressBar bar(o.epochs * o.batches_per_epoch, "steps");
  const auto last = algorithms::train_world_model(model, dataset, o, [&](const algorithms::StepMetrics& m, std::int64_t) {
    bar.update(m.step);
  });
  char line[256];
  std::snprintf(line, sizeof line, "step %lld: loss %.2f, elbo %.2f, kl %.2f, grad norm %.2f; model in %s\n",
                static_cast<long long>(last.step), last.values.at("loss"), last.values.at("elbo"), last.values.at("kl"),
                last.values.at("grad_norm"), o.out_dir.c_str());
  std::cout << line;
  return 0;
}

int elbo(const std::vector<std::string>& args) {
  po::options_description options("aime elbo: the evidence lower bound of a model over a dataset, per sensor");
  options.add_options()("help,h", "show this help")("model", po::value<std::string>(), "model folder")
      ("dataset", po::value<std::string>(), "episode folder")
      ("batches", po::value<std::int64_t>()->default_value(10), "batches to average over")
      ("batch-size", po::value<std::int64_t>()->default_value(50), "windows per batch")
      ("horizon", po::value<std::int64_t>()->default_value(50), "steps per window")
      ("seed", po::value<std::uint64_t>()->default_value(0), "fixes the windows and the noise")
      ("action-check", po::bool_switch(),
       "also the ELBO with the recorded actions replaced (zero, negated, halved, doubled and clipped, another "
       "window's): how sharply the model identifies actions, which is AIME's whole signal");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("model") || !vm.count("dataset")) throw UsageError("needs --model DIR and --dataset DIR");
  const bool action_check = vm["action-check"].as<bool>();
  const auto loaded = algorithms::load_pretrained_model(vm["model"].as<std::string>());
  data::SequenceDatasetOptions dso;
  dso.horizon = vm["horizon"].as<std::int64_t>();
  const data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  data::SequenceSampler sampler(dataset, vm["batch-size"].as<std::int64_t>(), vm["seed"].as<std::uint64_t>());
  Generator noise(vm["seed"].as<std::uint64_t>() + 1);
  NoGradGuard no_grad;
  const auto n = vm["batches"].as<std::int64_t>();
  std::map<std::string, double> sums;
  // Each variant of a batch sees the same windows and the same noise, so differences are the
  // actions' alone. Actions are clipped to [-1, 1], the bounds of every built-in environment.
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> variants = {
      {"zero", [](const Tensor& a) { return zeros_like(a); }},
      {"negated", [](const Tensor& a) { return -a; }},
      {"halved", [](const Tensor& a) { return a * 0.5; }},
      {"doubled", [](const Tensor& a) { return clamp(a * 2.0, -1.0, 1.0); }},
      {"other window's", [](const Tensor& a) {  // [T, B, A]: window b gets window b+1's actions
         const std::int64_t B = a.size(1);
         return B > 1 ? cat({a.narrow(1, 1, B - 1), a.narrow(1, 0, 1)}, 1) : zeros_like(a);
       }}};
  std::map<std::string, double> drops, kl_rises;  // ELBO lost, and the part of it that is KL gained
  for (std::int64_t i = 0; i < n; ++i) {
    const models::SensorBatch batch = algorithms::to_sensor_batch(sampler.next());
    const std::uint64_t batch_seed = noise.seed() + static_cast<std::uint64_t>(i);
    Generator g(batch_seed);
    const models::ElboTerms t = loaded.model->elbo(batch, g);
    sums["elbo"] += t.elbo.item();
    sums["kl"] += t.kl.item();
    for (const auto& [k, v] : t.reconstruction) sums["reconstruction/" + k] += v.item();
    for (const auto& [k, v] : t.mse) sums["mse/" + k] += v.item();
    if (!action_check) continue;
    for (const auto& [name, change] : variants) {
      models::SensorBatch changed = batch;
      changed.at("pre_action") = change(batch.at("pre_action"));
      Generator same(batch_seed);
      const models::ElboTerms c = loaded.model->elbo(changed, same);
      drops[name] += t.elbo.item() - c.elbo.item();
      kl_rises[name] += c.kl.item() - t.kl.item();
    }
  }
  std::cout << "over " << n << " batches of " << vm["batch-size"].as<std::int64_t>() << " windows x " << dso.horizon
            << " steps (sums over time, means over windows):\n";
  for (const auto& [k, v] : sums) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-28s %.4f\n", k.c_str(), v / static_cast<double>(n));
    std::cout << line;
  }
  if (action_check) {
    std::cout << "ELBO lost when the recorded actions are replaced (nats per window; near 0: the model barely "
                 "sees actions, and AIME has nothing to infer them from), and of it the KL's rise (what "
                 "--kl-only AIME sees) and the reconstruction's fall:\n";
    for (const auto& [name, change] : variants) {
      char line[200];
      const double lost = drops[name] / static_cast<double>(n), kl = kl_rises[name] / static_cast<double>(n);
      std::snprintf(line, sizeof line, "  %-28s %.4f  (kl %.4f, reconstruction %.4f)\n", name.c_str(), lost, kl, lost - kl);
      std::cout << line;
    }
  }
  return 0;
}

// Filters whole episodes and writes their states: per episode i, keys feature_i [T, F],
// posterior_mean_i / posterior_std_i / prior_mean_i / prior_std_i [T, Z].
int filter(const std::vector<std::string>& args) {
  po::options_description options("aime filter: the model's states q(s_1:T | o_1:T, a_0:T-1) over whole episodes, to .npz");
  options.add_options()("help,h", "show this help")("model", po::value<std::string>(), "model folder")
      ("dataset", po::value<std::string>(), "episode folder")
      ("episodes", po::value<std::int64_t>()->default_value(1), "how many episodes, from the first")
      ("seed", po::value<std::uint64_t>()->default_value(0), "fixes the posterior samples")
      ("out", po::value<std::string>(), ".npz to write");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("model") || !vm.count("dataset") || !vm.count("out"))
    throw UsageError("needs --model DIR, --dataset DIR and --out FILE.npz");
  const auto loaded = algorithms::load_pretrained_model(vm["model"].as<std::string>());
  const auto files = data::list_episode_files(vm["dataset"].as<std::string>());
  const auto n = std::min<std::int64_t>(vm["episodes"].as<std::int64_t>(), static_cast<std::int64_t>(files.size()));
  Generator noise(vm["seed"].as<std::uint64_t>());
  NoGradGuard no_grad;
  data::NpzArrays out;
  for (std::int64_t i = 0; i < n; ++i) {
    const data::Episode e = data::load_episode(files[static_cast<std::size_t>(i)]);
    data::SequenceDatasetOptions dso;
    dso.horizon = e.length();
    const data::SequenceDataset one({e}, {files[static_cast<std::size_t>(i)]}, dso);
    const models::SensorBatch batch = algorithms::to_sensor_batch(one.collate({{0, 0}}));
    const models::FilterOutput f = loaded.model->filter(batch, noise);
    // [T, B = 1, Z] -> [T, Z]
    auto first = [](const Tensor& x) { return x.select(1, 0).contiguous(); };
    const std::string k = "_" + std::to_string(i);
    out.emplace_back("feature" + k, data::NpyArray{f.features().select(1, 0).contiguous(), false});
    out.emplace_back("posterior_mean" + k, data::NpyArray{first(f.posterior->mean()), false});
    out.emplace_back("posterior_std" + k, data::NpyArray{first(f.posterior->stddev()), false});
    out.emplace_back("prior_mean" + k, data::NpyArray{first(f.prior->mean()), false});
    out.emplace_back("prior_std" + k, data::NpyArray{first(f.prior->stddev()), false});
    std::cout << files[static_cast<std::size_t>(i)] << ": " << e.length() << " steps filtered\n";
  }
  data::write_npz(vm["out"].as<std::string>(), out);
  std::cout << "wrote " << vm["out"].as<std::string>() << "\n";
  return 0;
}

// Open-loop predictions: filter `context` steps, imagine the rest under the data's actions;
// per output sensor, the MSE of the predictions against the truth and against the baseline
// that repeats the last context frame; for an image output, a PNG grid per sequence of
// truth / model / |error| rows (DreamerV3's open-loop summary).
int imagine(const std::vector<std::string>& args) {
  po::options_description options("aime imagine: open-loop predictions of a model from a context, as numbers and a PNG");
  options.add_options()("help,h", "show this help")("model", po::value<std::string>(), "model folder")
      ("dataset", po::value<std::string>(), "episode folder")
      ("context", po::value<std::int64_t>()->default_value(5), "filtered steps")
      ("horizon", po::value<std::int64_t>()->default_value(10), "imagined steps after the context")
      ("sequences", po::value<std::int64_t>()->default_value(4), "windows to predict")
      ("seed", po::value<std::uint64_t>()->default_value(0), "fixes the windows and the noise")
      ("out", po::value<std::string>(), "PNG grid to write (image models)");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("model") || !vm.count("dataset")) throw UsageError("needs --model DIR and --dataset DIR");
  const std::int64_t context = vm["context"].as<std::int64_t>(), horizon = vm["horizon"].as<std::int64_t>();
  const std::int64_t n = vm["sequences"].as<std::int64_t>();
  if (context < 1 || horizon < 1 || n < 1) throw UsageError("--context, --horizon and --sequences must be >= 1");
  const auto loaded = algorithms::load_pretrained_model(vm["model"].as<std::string>());
  data::SequenceDatasetOptions dso;
  dso.horizon = context + horizon;
  const data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  data::SequenceSampler sampler(dataset, n, vm["seed"].as<std::uint64_t>(), Device::cpu(), false);
  const models::SensorBatch batch = algorithms::to_sensor_batch(sampler.next());
  Generator noise(vm["seed"].as<std::uint64_t>() + 1);
  NoGradGuard no_grad;
  const auto predicted = loaded.model->imagine(batch, context, noise);
  const std::int64_t T = context + horizon;
  std::cout << "open-loop " << horizon << " steps after " << context << " filtered, " << n << " sequences:\n";
  for (const auto& [name, pred] : predicted) {
    const Tensor truth = batch.at(name);
    const Tensor future = truth.narrow(0, context, horizon), guess = pred.narrow(0, context, horizon);
    Shape repeat_shape = future.shape();
    const Tensor last = truth.narrow(0, context - 1, 1).expand(repeat_shape);
    char line[200];
    std::snprintf(line, sizeof line, "  %-12s model MSE %.5f   repeat-last-frame MSE %.5f   (context reconstruction MSE %.5f)\n",
                  name.c_str(), mean(square(guess - future)).item(), mean(square(last - future)).item(),
                  mean(square(pred.narrow(0, 0, context) - truth.narrow(0, 0, context))).item());
    std::cout << line;
    if (vm.count("out") && truth.dim() == 5) {  // [T, B, C, H, W]: rows truth / model / error per sequence
      std::vector<Tensor> frames;
      for (std::int64_t b = 0; b < n; ++b)
        for (int row = 0; row < 3; ++row)
          for (std::int64_t t = 0; t < T; ++t) {
            const Tensor x = truth.select(0, t).select(0, b), y = pred.select(0, t).select(0, b);
            frames.push_back(row == 0 ? x : row == 1 ? y : abs(x - y));
          }
      data::write_png(vm["out"].as<std::string>(), data::image_grid(stack(frames, 0), T));
      std::cout << "wrote " << vm["out"].as<std::string>() << ": per sequence, rows truth / model / |error|; the first "
                << context << " columns are filtered, the rest imagined\n";
    }
  }
  return 0;
}

}  // namespace

std::vector<Command> model_commands() {
  return {{"train-model", "train a world model (phase 1) on an episode folder", train_model},
          {"elbo", "evaluate a model's ELBO on a dataset, per sensor", elbo},
          {"filter", "filter whole episodes and write the states (features, prior and posterior) to .npz", filter},
          {"imagine", "open-loop predictions from a context: MSE against repeating the last frame, and a PNG grid", imagine}};
}

}  // namespace aime::app
