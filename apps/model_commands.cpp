// aime train-model: phase 1 (the world model alone on an embodiment dataset);
// aime elbo: the evidence lower bound of a model on a dataset, per sensor.
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "algorithms/checkpoint.h"
#include "algorithms/model_diagnostics.h"
#include "algorithms/model_training.h"
#include "apps/command.h"
#include "apps/options.h"
#include "apps/parallel_run.h"
#include "apps/progress.h"
#include "apps/world_model_flags.h"
#include "autograd/api.h"
#include "data/gif.h"
#include "data/npz.h"
#include "data/png.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"

namespace aime::app {

namespace {

namespace po = boost::program_options;

int train_model(const std::vector<std::string>& args) {
  const algorithms::ModelTrainingOptions defaults;
  po::options_description options("aime train-model: train a world model (phase 1) on an episode folder");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::vector<std::string>>()->composing(), "INI files of defaults (configs/*.ini); flags win")
      ("env", po::value<std::string>()->default_value(""), "the environment the data came from (recorded; aime convert writes it into config.yaml)")
      ("dataset", po::value<std::string>(), "episode folder (0.npz, 1.npz, ...)")
      ("keep", po::value<std::int64_t>()->default_value(0), "use only the first N episodes (0: all)")
      ("allow-non-finite", po::bool_switch(), "load a dataset holding NaN or infinite values (refused by default)")
      ("dataset-memory", po::value<std::string>()->default_value("auto"),
       "bytes of decoded episodes to hold in memory (e.g. 4G; auto: half the RAM); a larger dataset is read from disk per batch")
      ("world-model", po::value<std::string>()->default_value("rssm"), "rssm or rssmo")
      ("setup", po::value<std::string>()->default_value("visual"), "visual, lpomdp or mdp")
      ("state-size", po::value<std::string>(), "deterministic,stochastic sizes (default: the model's)")
      ("hidden-size", po::value<std::int64_t>(), "MLP width (default: the model's)")
      ("encoder-hidden-size", po::value<std::int64_t>(),
       "width of the MLP over the vector sensors, the embedding's size (default: the model's; RSSMO 512, RSSM none)")
      ("cnn-width", default_of(models::WorldModelConfig{}.cnn_width), "base channels of the image encoder and decoder")
      ("nll-reweight", po::value<std::string>(), "none or dim_wise (default: the model's)")
      ("free-nats", po::value<double>(), "free nats (default: the model's)")
      ("kl-scale", po::value<double>(), "weight of the KL term (default 1, the original's everywhere)")
      ("kl-rebalance", po::value<double>(), "KL balancing alpha, < 0 for none (default: the model's)")
      ("epochs", default_of(defaults.epochs), "epochs")
      ("batches-per-epoch", default_of(defaults.batches_per_epoch), "steps per epoch")
      ("batch-size", default_of(defaults.batch_size), "windows per batch")
      ("horizon", default_of(data::SequenceDatasetOptions{}.horizon), "steps per window")
      ("lr", default_of(defaults.lr), "Adam learning rate")
      ("grad-clip", default_of(defaults.grad_clip), "gradient norm clip (<= 0: none)")
      ("checkpoint-every", default_of(defaults.checkpoint_every), "steps between checkpoints")
      ("metrics", default_of(defaults.metrics_format),
       "csv or jsonl, optionally with ,tensorboard (csv,tensorboard: TensorBoard event files in --out too)")
      ("image-every", default_of(defaults.image_every),
       "with ,tensorboard: steps between prediction grids of an image model (truth, model, error; 0: none)")
      ("seed", default_of(defaults.seed), "fixes weights, batches and noise")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu, cuda or cuda:N (a CUDA build on a GPU machine)")
      ("dtype", po::value<std::string>()->default_value("float32"),
       "float32 (the original's) or float64 (for numerical checks: the folder then holds float64 weights)")
      ("out", po::value<std::string>(), "model folder to write")
      ("resume", po::bool_switch(), "continue the run found in --out")
      ("check-replicas-every", default_of(defaults.check_replicas_every),
       "under mpirun: steps between checks that every rank's parameters agree (0: at the start only)");
  po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n"
              << "Under mpirun -np N (a build with MPI): data-parallel over N ranks, --batch-size being the global batch;\n"
                 "rank 0 writes the folder. See docs/distributed.md.\n";
    return 0;
  }
  read_configs(vm, options);
  if (!vm.count("dataset")) throw UsageError("missing --dataset DIR");
  if (!vm.count("out")) throw UsageError("missing --out MODEL_DIR");
  // Under mpirun: join the other ranks before any work (rank 0 alone speaks from here on).
  const ParallelRun run = parallel_run();
  data::SequenceDatasetOptions dso;
  dso.horizon = vm["horizon"].as<std::int64_t>();
  dso.allow_non_finite = vm["allow-non-finite"].as<bool>();
  dso.max_episodes = std::max<std::int64_t>(0, vm["keep"].as<std::int64_t>());
  if (vm["dataset-memory"].as<std::string>() != "auto")
    dso.memory_budget = std::max<std::uint64_t>(1, parse_byte_size(vm["dataset-memory"].as<std::string>(), "--dataset-memory"));
  // The model is configured from the first episode's headers; the folder is then read with
  // only the keys the model uses (an mdp model's folder of images costs its vectors only).
  std::int64_t action_size = 0;
  const auto sensors = algorithms::dataset_sensors(data::index_first_episode(vm["dataset"].as<std::string>()), &action_size);
  auto config = models::WorldModelConfig::original(vm["world-model"].as<std::string>(),
                                                   models::parse_setup(vm["setup"].as<std::string>()), sensors, action_size);
  apply_world_model_flags(vm, config);
  dso.keys = algorithms::model_keys(config, true);
  data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  algorithms::ModelTrainingOptions o;
  o.epochs = vm["epochs"].as<std::int64_t>();
  o.batches_per_epoch = vm["batches-per-epoch"].as<std::int64_t>();
  o.batch_size = vm["batch-size"].as<std::int64_t>();
  o.lr = vm["lr"].as<double>();
  o.grad_clip = vm["grad-clip"].as<double>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.checkpoint_every = vm["checkpoint-every"].as<std::int64_t>();
  o.metrics_format = vm["metrics"].as<std::string>();
  o.image_every = vm["image-every"].as<std::int64_t>();
  o.out_dir = vm["out"].as<std::string>();
  o.resume = vm["resume"].as<bool>();
  o.communicator = run.comm;
  o.check_replicas_every = vm["check-replicas-every"].as<std::int64_t>();
  o.device = run.place(vm["device"].as<std::string>());
  const std::string dtype = vm["dtype"].as<std::string>();
  if (dtype != "float32" && dtype != "float64") throw UsageError("--dtype must be float32 or float64, got '" + dtype + "'");
  o.dtype = dtype == "float64" ? kFloat64 : kFloat32;
  o.metadata = {{"train.setup", vm["setup"].as<std::string>()}, {"train.dataset", vm["dataset"].as<std::string>()}};
  if (!vm["env"].as<std::string>().empty()) o.metadata["train.env"] = vm["env"].as<std::string>();
  const std::string renderer = envs::dataset_renderer(vm["dataset"].as<std::string>());
  if (!renderer.empty()) o.metadata["train.renderer"] = renderer;  // evaluation draws frames the same way
  Generator gen(o.seed);
  models::WorldModel model(config, gen);
  if (run.root)
    std::cerr << "training " << config.model << " (" << vm["setup"].as<std::string>() << ", "
              << model.num_parameters() << " parameters) on " << dataset.num_episodes() << " episodes, "
              << dataset.num_windows() << " windows of " << dso.horizon << " steps (" << dataset.memory_summary() << ")"
              << run.describe(o.batch_size) << "\n";
  ProgressBar bar(o.epochs * o.batches_per_epoch, "steps");
  const auto last = algorithms::train_world_model(model, dataset, o, [&](const algorithms::StepMetrics& m, std::int64_t) {
    bar.update(m.step);
  });
  if (!run.root) return 0;
  if (last.values.empty()) {
    std::cout << o.out_dir << ": the run is finished (step " << last.step << " of " << o.epochs * o.batches_per_epoch
              << "); nothing to resume (raise --epochs to train further)\n";
    return 0;
  }
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
  algorithms::check_dataset_fits_model(data::index_first_episode(vm["dataset"].as<std::string>()), loaded.model->config(),
                                       vm["model"].as<std::string>(), true);
  dso.keys = algorithms::model_keys(loaded.model->config(), true);
  const data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
  data::SequenceSampler sampler(dataset, vm["batch-size"].as<std::int64_t>(), seed);
  const auto n = vm["batches"].as<std::int64_t>();
  const algorithms::ElboReport report = algorithms::evaluate_elbo(*loaded.model, sampler, n, seed + 1, action_check);
  std::cout << "over " << n << " batches of " << vm["batch-size"].as<std::int64_t>() << " windows x " << dso.horizon
            << " steps (sums over time, means over windows):\n";
  for (const auto& [k, v] : report.means) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-28s %.4f\n", k.c_str(), v);
    std::cout << line;
  }
  if (action_check) {
    std::cout << "ELBO lost when the recorded actions are replaced (nats per window; near 0: the model barely "
                 "sees actions, and AIME has nothing to infer them from), and of it the KL's rise (what "
                 "--kl-only AIME sees) and the reconstruction's fall:\n";
    for (const auto& d : report.action_drops) {
      char line[200];
      std::snprintf(line, sizeof line, "  %-28s %.4f  (kl %.4f, reconstruction %.4f)\n", d.variant.c_str(), d.elbo_lost,
                    d.kl_rise, d.reconstruction_fall());
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
    algorithms::check_dataset_fits_model(one, loaded.model->config(), vm["model"].as<std::string>(), true);
    const Batch batch = one.collate({{0, 0}});
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
// The video of open_loop_frames' [3 B T, C, H, W]: frame t tiles, per sequence b, truth,
// model and |error| in a row, under a bar that is green while the model filters and red
// while it imagines.
void write_prediction_video(const std::string& path, const Tensor& frames, std::int64_t B, std::int64_t T,
                            std::int64_t context, double fps) {
  std::vector<Tensor> video;
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<Tensor> tiles;
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t row = 0; row < 3; ++row) tiles.push_back(frames.select(0, (b * 3 + row) * T + t));
    const Tensor grid = data::image_grid(stack(tiles, 0), 3);  // uint8 [H, W, 3]
    const std::int64_t H = grid.size(0), W = grid.size(1), bar = 4;
    Tensor frame = zeros({H + bar, W, 3}, kUInt8);
    frame.narrow(0, bar, H).copy_(grid);
    auto* p = frame.data<std::uint8_t>();
    const bool filtered = t < context;
    for (std::int64_t i = 0; i < bar * W; ++i) {
      p[3 * i] = filtered ? 30 : 210;
      p[3 * i + 1] = filtered ? 170 : 40;
      p[3 * i + 2] = 40;
    }
    video.push_back(frame);
  }
  data::write_gif(path, video, std::max(1, static_cast<int>(100.0 / fps + 0.5)));
}

int imagine(const std::vector<std::string>& args) {
  po::options_description options("aime imagine: open-loop predictions of a model from a context, as numbers and a PNG");
  options.add_options()("help,h", "show this help")("model", po::value<std::string>(), "model folder")
      ("dataset", po::value<std::string>(), "episode folder")
      ("context", po::value<std::int64_t>()->default_value(5), "filtered steps")
      ("horizon", po::value<std::int64_t>()->default_value(10), "imagined steps after the context")
      ("sequences", po::value<std::int64_t>()->default_value(4), "windows to predict")
      ("seed", po::value<std::uint64_t>()->default_value(0), "fixes the windows and the noise")
      ("out", po::value<std::string>(), "PNG grid to write (image models)")
      ("video", po::value<std::string>(),
       "animated GIF to write (image models): per sequence truth, model and |error| side by side over time; a green "
       "bar over the filtered steps, red over the imagined")
      ("fps", po::value<double>()->default_value(10.0), "frames per second of --video");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("model") || !vm.count("dataset")) throw UsageError("needs --model DIR and --dataset DIR");
  const std::int64_t context = vm["context"].as<std::int64_t>(), horizon = vm["horizon"].as<std::int64_t>();
  const std::int64_t n = vm["sequences"].as<std::int64_t>();
  if (context < 1 || horizon < 1 || n < 1) throw UsageError("--context, --horizon and --sequences must be >= 1");
  const double fps = vm["fps"].as<double>();
  if (!(fps > 0 && fps <= 100)) throw UsageError("--fps must be in (0, 100], got " + std::to_string(fps));
  if (vm.count("video") && !data::gif_available())
    throw UsageError("--video: this aime was built without giflib (install libgif-dev and rebuild)");
  const auto loaded = algorithms::load_pretrained_model(vm["model"].as<std::string>());
  data::SequenceDatasetOptions dso;
  dso.horizon = context + horizon;
  algorithms::check_dataset_fits_model(data::index_first_episode(vm["dataset"].as<std::string>()), loaded.model->config(),
                                       vm["model"].as<std::string>(), true);
  dso.keys = algorithms::model_keys(loaded.model->config(), true);
  const data::SequenceDataset dataset(vm["dataset"].as<std::string>(), dso);
  data::SequenceSampler sampler(dataset, n, vm["seed"].as<std::uint64_t>(), Device::cpu(), false);
  const Batch batch = sampler.next();
  Generator noise(vm["seed"].as<std::uint64_t>() + 1);
  const algorithms::OpenLoopResult r = algorithms::imagine_open_loop(*loaded.model, batch, context, noise);
  const std::int64_t T = context + horizon;
  std::cout << "open-loop " << horizon << " steps after " << context << " filtered, " << n << " sequences:\n";
  for (const auto& [name, pred] : r.predicted) {
    const algorithms::OpenLoopMetrics& m = r.metrics.at(name);
    char line[200];
    std::snprintf(line, sizeof line, "  %-12s model MSE %.5f   repeat-last-frame MSE %.5f   (context reconstruction MSE %.5f)\n",
                  name.c_str(), m.model_mse, m.repeat_last_mse, m.context_mse);
    std::cout << line;
    const Tensor& truth = batch.at(name);
    if (vm.count("out") && truth.dim() == 5) {  // [T, B, C, H, W]: rows truth / model / error per sequence
      data::write_png(vm["out"].as<std::string>(), data::image_grid(algorithms::open_loop_frames(truth, pred), T));
      std::cout << "wrote " << vm["out"].as<std::string>() << ": per sequence, rows truth / model / |error|; the first "
                << context << " columns are filtered, the rest imagined\n";
    }
    if (vm.count("video") && truth.dim() == 5) {
      const std::string video = vm["video"].as<std::string>();
      write_prediction_video(video, algorithms::open_loop_frames(truth, pred), n, T, context, fps);
      std::cout << "wrote " << video << ": " << T << " frames at " << fps << " fps; per sequence, truth | model | |error|; "
                << context << " filtered (green bar), " << horizon << " imagined (red bar)\n";
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
