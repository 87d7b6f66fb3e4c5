#include "algorithms/model_training.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/metrics_log.h"
#include "algorithms/model_diagnostics.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "data/png.h"
#include "data/sequence_sampler.h"
#include "nn/flat_parameters.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

namespace {
// The sensors as the model sees them and pre_action's size (0 when absent).
std::vector<models::SensorSpec> sensors_of(const data::SequenceDataset& ds, std::int64_t* action_size) {
  std::vector<models::SensorSpec> out;
  *action_size = 0;
  for (const auto& key : ds.keys()) {
    const Shape step = ds.step_shape(key);
    if (key == "pre_action") {
      *action_size = numel_of(step);
      continue;
    }
    if (key == "reward" || key == "is_first" || key == "is_last" || key == "is_terminal") continue;
    if (step.size() == 3) out.push_back({key, {step[2], step[0], step[1]}});
    else out.push_back({key, {numel_of(step)}});
  }
  return out;
}
}  // namespace

std::vector<models::SensorSpec> dataset_sensors(const data::SequenceDataset& ds, std::int64_t* action_size) {
  auto out = sensors_of(ds, action_size);
  if (*action_size == 0) throw ValueError(ds.episode_name(0) + ": no pre_action key (the actions)");
  return out;
}

std::vector<std::string> model_keys(const models::WorldModelConfig& config, bool actions,
                                    const std::vector<std::string>& extra, const std::vector<std::string>& available) {
  std::vector<std::string> keys;
  auto add = [&](const std::string& k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (const auto* list : {&config.inputs, &config.outputs, &config.probes})
    for (const auto& s : *list) add(s.name);
  if (actions) add("pre_action");
  for (const auto& k : extra)
    if (std::find(available.begin(), available.end(), k) != available.end()) add(k);
  return keys;
}

void check_dataset_fits_model(const data::SequenceDataset& ds, const models::WorldModelConfig& config,
                              const std::string& model_name, bool actions) {
  std::int64_t action_size = 0;
  const std::vector<models::SensorSpec> found = sensors_of(ds, &action_size);
  std::string keys;
  for (const auto& k : ds.keys()) keys += (keys.empty() ? "" : ", ") + k;
  const std::string where = ds.where() + ": ";
  for (const auto* list : {&config.inputs, &config.outputs, &config.probes})
    for (const auto& need : *list) {
      auto it = std::find_if(found.begin(), found.end(), [&](const models::SensorSpec& s) { return s.name == need.name; });
      if (it == found.end())
        throw ValueError(where + "the episodes have no '" + need.name + "' (" + shape_str(need.shape) +
                         " per step), which the model of " + model_name + " needs; they hold " + keys);
      if (it->shape != need.shape)
        throw ValueError(where + "'" + need.name + "' is " + shape_str(it->shape) + " per step as the model sees it, the model of " +
                         model_name + " expects " + shape_str(need.shape) + " (images as [C, H, W])");
    }
  if (actions && action_size != config.action_size)
    throw ValueError(where + (action_size == 0 ? std::string("the episodes have no pre_action (the actions)")
                                               : "pre_action has " + std::to_string(action_size) + " values per step") +
                     ", the model of " + model_name + " takes " + std::to_string(config.action_size));
}

namespace {
// TensorBoard's picture of what the model has learnt so far: for each image output, two
// windows of the step's batch, half filtered and half imagined (model_diagnostics.h), as a
// grid of truth, model and |error| rows. Its noise has a stream of its own (seed + step),
// so that the run's training noise, and with it the run, is the same with or without it.
void write_prediction_images(MetricsLog& log, const models::WorldModel& model, const Batch& batch, std::int64_t step,
                             std::uint64_t seed) {
  std::vector<std::string> images;
  for (const auto& s : model.config().outputs)
    if (s.is_image()) images.push_back(s.name);
  if (images.empty()) return;
  const Tensor& first = batch.at(images[0]);  // [T, B, C, H, W]
  const std::int64_t T = first.size(0), B = std::min<std::int64_t>(2, first.size(1));
  if (T < 2) return;
  Batch two;
  for (const auto& [k, t] : batch) two.set(k, t.narrow(1, 0, B));
  NoGradGuard no_grad;
  Generator gen(seed ^ 0x1ae5ull ^ static_cast<std::uint64_t>(step));
  const OpenLoopResult r = imagine_open_loop(model, two, T / 2, gen);
  for (const auto& name : images) {
    const Tensor grid = data::image_grid(open_loop_frames(two.at(name), r.predicted.at(name)).cpu(), T);
    log.write_image(step, "prediction/" + name, data::encode_png(grid), static_cast<int>(grid.size(0)),
                    static_cast<int>(grid.size(1)));
  }
}
}  // namespace

Tensor share_of_loss(const models::ElboTerms& terms, double weight) {
  if (weight == 1.0) return terms.loss;
  return terms.idm_loss.defined() ? weight * (terms.loss - terms.idm_loss) + terms.idm_loss : weight * terms.loss;
}

StepMetrics train_world_model(models::WorldModel& model, const data::SequenceDataset& dataset,
                              const ModelTrainingOptions& o,
                              const std::function<void(const StepMetrics&, std::int64_t)>& on_step) {
  if (o.epochs < 1 || o.batches_per_epoch < 1 || o.batch_size < 1 || o.checkpoint_every < 1)
    throw ValueError("train_world_model: epochs, batches_per_epoch, batch_size and checkpoint_every must be >= 1");
  if (o.out_dir.empty()) throw ValueError("train_world_model: out_dir is required");
  const std::string table = o.metrics_format.substr(0, o.metrics_format.find(','));
  if ((table != "csv" && table != "jsonl") ||
      (table.size() < o.metrics_format.size() && o.metrics_format.substr(table.size()) != ",tensorboard"))
    throw ValueError("train_world_model: metrics_format must be csv or jsonl, optionally with ,tensorboard, got '" +
                     o.metrics_format + "'");
  fs::create_directories(o.out_dir);
  const std::string metrics_path = (fs::path(o.out_dir) / (table == "csv" ? "metrics.csv" : "metrics.jsonl")).string();
  const std::int64_t total = o.epochs * o.batches_per_epoch;

  const DataParallel parallel(o.communicator, o.batch_size);
  if (o.dtype != kFloat32 && o.dtype != kFloat64)
    throw ValueError(std::string("train_world_model: dtype must be float32 or float64, got ") + dtype_name(o.dtype));
  model.to(o.dtype);
  model.to(o.device);
  nn::flatten_parameters(model.parameters());  // one buffer: Adam, the norm and the all-reduce are one pass each
  OptimizerGroup group{"model", model.parameters(), {}, o.grad_clip};
  group.adam.lr = o.lr;
  TrainingStep training({group});
  training.set_gradient_hook(parallel.gradient_hook());
  nn::Adam& adam = training.optimizer(0);
  Generator noise = training_noise(o.seed);  // the model's sampling noise (rsample)
  std::int64_t start = 0;
  const std::string weights = (fs::path(o.out_dir) / "model.safetensors").string();
  // One id per run, shared by the two files of each of its checkpoints: a hash (FNV-1a) of
  // what makes the run, so that the same run writes the same bytes and another run (another
  // seed, model or setting) another id.
  std::string run_id;
  {
    std::string what = std::to_string(o.seed) + "|" + std::to_string(o.batch_size) + "|" + std::to_string(o.lr) + "|" +
                       std::to_string(o.grad_clip) + "|" + std::to_string(total) + "|" + std::to_string(dataset.horizon());
    for (const auto& [k, v] : model.config().to_metadata()) what += "|" + k + "=" + v;
    if (o.dtype != kFloat32) what += std::string("|dtype=") + dtype_name(o.dtype);  // float32 runs keep their ids
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : what) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    run_id = hex;
  }
  if (o.resume && fs::exists(weights)) {
    const nn::SafetensorsFile file = nn::load_safetensors(weights);
    start = metadata_integer(file.metadata, "train.step", weights);
    const auto offset = metadata_integer(file.metadata, "train.noise_offset", weights);
    if (metadata_integer(file.metadata, "train.seed", weights) != static_cast<std::int64_t>(o.seed))
      throw ValueError(o.out_dir + ": the checkpoint was trained with seed " + file.metadata.at("train.seed") +
                       ", resuming needs the same --seed");
    if (file.metadata.count("train.run_id")) run_id = file.metadata.at("train.run_id");
    // Rank 0 alone repairs a checkpoint cut between its two files (a rename or a removal);
    // the other ranks read the folder once it has.
    std::string optimizer_file;
    if (parallel.is_root()) optimizer_file = resume_checkpoint(o.out_dir, file.metadata);
    parallel.barrier();
    if (!parallel.is_root()) optimizer_file = resume_checkpoint(o.out_dir, file.metadata);
    model.load_state_dict(file.tensors, true);
    adam.load(optimizer_file);
    noise.set_offset(static_cast<std::uint64_t>(offset));
    if (start >= total) {  // finished: say so, touch nothing
      StepMetrics finished;
      finished.step = start;
      return finished;
    }
  }
  // Every rank runs the same configuration from the same weights (and the same step).
  parallel.check_configuration({{"the run (seed, batch, lr, clip, steps, horizon, model)", run_id},
                                {"the dataset's windows", std::to_string(dataset.num_episodes()) + " episodes, " +
                                                              std::to_string(dataset.num_windows()) + " windows"},
                                {"the step resumed from", std::to_string(start)}});
  auto check_parameters = [&](const std::string& when) {
    std::vector<std::pair<std::string, Tensor>> named;
    for (const auto& [name, t] : model.named_parameters()) named.emplace_back(name, t);
    parallel.check_tensors("the parameters " + when, named);
  };
  check_parameters(start == 0 ? "as built" : "resumed at step " + std::to_string(start));
  std::optional<MetricsLog> metrics;  // rank 0 alone writes
  if (parallel.is_root()) metrics.emplace(metrics_path, o.metrics_format, start);

  parallel.shard_noise(noise);
  data::SequenceSampler sampler(dataset, o.batch_size, o.seed, o.device, true, start, parallel.shard().rows());
  std::int64_t saved = start;  // the step of the checkpoint on disk (0: none)
  auto save = [&](std::int64_t step) {
    if (!parallel.is_root()) return;
    saved = step;
    nn::Metadata state = o.metadata;
    state["train.step"] = std::to_string(step);
    state["train.seed"] = std::to_string(o.seed);
    state["train.noise_offset"] = std::to_string(noise.offset());
    state["train.total_steps"] = std::to_string(total);
    state["train.run_id"] = run_id;
    save_model_checkpoint(o.out_dir, model, &adam, state);
  };
  StepMetrics last;
  for (std::int64_t step = start; step < total; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    Batch batch = sampler.next();
    if (o.dtype != kFloat32) {
      Batch cast;
      for (const auto& [k, t] : batch) cast.set(k, t.to(o.dtype));
      batch = std::move(cast);
    }
    models::ElboTerms terms;
    TrainingStep::Result r;
    try {
      r = training.run([&] {
        terms = model.elbo(batch, noise);
        return share_of_loss(terms, parallel.shard().weight());
      });
    } catch (const NonFiniteError& e) {  // stop with a report; the checkpoint on disk stays as it was
      std::string report;
      auto add = [&](const std::string& name, const Tensor& t) {
        if (t.defined()) report += (report.empty() ? "" : ", ") + name + " " + std::to_string(t.item());
      };
      add("kl", terms.kl);
      add("reconstruction_loss", terms.reconstruction_loss);
      for (const auto& [k, v] : terms.reconstruction) add("rec/" + k, v);
      for (const auto& [k, v] : terms.probe_loss) add("probe/" + k, v);
      add("idm", terms.idm_loss);
      throw NonFiniteError(o.out_dir + ": step " + std::to_string(step + 1) + ": " + e.what() + " (" + report + "); " +
                           (saved == 0 ? std::string("no checkpoint was written yet")
                                       : "the checkpoint of step " + std::to_string(saved) + " is intact") +
                           ": check the data for NaN or infinite values, or lower --lr");
    }
    const double grad_norm = r.grad_norms[0];
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    StepMetrics m;
    m.step = step + 1;
    // The batch's values: with several ranks, the sum over ranks of each share's mean
    // weighted by its fraction (the IDM NLL, a sum, unweighted).
    const double w = parallel.shard().weight();
    m.values["loss"] = r.loss.item();
    m.values["elbo"] = w * terms.elbo.item();
    m.values["kl"] = w * terms.kl.item();
    for (const auto& [k, v] : terms.reconstruction) m.values["rec/" + k] = w * v.item();
    for (const auto& [k, v] : terms.mse) m.values["mse/" + k] = w * v.item();
    for (const auto& [k, v] : terms.probe_loss) m.values["probe/" + k] = w * v.item();
    if (terms.idm_loss.defined()) m.values["idm"] = terms.idm_loss.item();
    parallel.sum(m.values);
    m.values["epoch"] = static_cast<double>(step / o.batches_per_epoch);
    m.values["grad_norm"] = grad_norm;
    m.values["samples_per_s"] = static_cast<double>(o.batch_size) / seconds;
    if (metrics) metrics->write(m.step, m.values);
    if (metrics && metrics->tensorboard() && o.image_every > 0 && ((step + 1) % o.image_every == 0 || step + 1 == total))
      write_prediction_images(*metrics, model, batch, step + 1, o.seed);
    if ((step + 1) % o.checkpoint_every == 0 || step + 1 == total) save(step + 1);
    if (parallel.active() && o.check_replicas_every > 0 && (step + 1) % o.check_replicas_every == 0)
      check_parameters("after step " + std::to_string(step + 1));
    if (on_step && parallel.is_root()) on_step(m, total);
    last = m;
  }
  return last;
}

}  // namespace aime::algorithms
