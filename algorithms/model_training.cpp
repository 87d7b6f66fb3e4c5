#include "algorithms/model_training.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "algorithms/checkpoint.h"
#include "autograd/aime.h"
#include "data/sequence_sampler.h"
#include "nn/flat_parameters.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad.h"
#include "nn/serialize/atomic_file.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

models::SensorBatch to_sensor_batch(const data::Batch& batch) {
  models::SensorBatch out;
  for (const auto& [key, t] : batch) out[key] = t;
  return out;
}

namespace {

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Metrics rows of steps <= last_step are kept; later ones (written after the last
// checkpoint of a killed run) are dropped so the resumed run rewrites them.
void truncate_metrics(const std::string& path, std::int64_t last_step, bool csv) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  bool header = csv;
  while (std::getline(in, line)) {
    if (header) {
      kept += line + "\n";
      header = false;
      continue;
    }
    const std::size_t digits = csv ? 0 : line.find(':') + 1;
    const long long step = std::atoll(line.c_str() + digits);
    if (step <= last_step) kept += line + "\n";
  }
  nn::write_file_atomically(path, [&](std::ostream& out) { out << kept; });
}

}  // namespace

StepMetrics train_world_model(models::WorldModel& model, const data::SequenceDataset& dataset,
                              const ModelTrainingOptions& o,
                              const std::function<void(const StepMetrics&, std::int64_t)>& on_step) {
  if (o.epochs < 1 || o.batches_per_epoch < 1 || o.batch_size < 1 || o.checkpoint_every < 1)
    throw ValueError("train_world_model: epochs, batches_per_epoch, batch_size and checkpoint_every must be >= 1");
  if (o.out_dir.empty()) throw ValueError("train_world_model: out_dir is required");
  if (o.metrics_format != "csv" && o.metrics_format != "jsonl")
    throw ValueError("train_world_model: metrics_format must be csv or jsonl, got '" + o.metrics_format + "'");
  const bool csv = o.metrics_format == "csv";
  fs::create_directories(o.out_dir);
  const std::string metrics_path = (fs::path(o.out_dir) / (csv ? "metrics.csv" : "metrics.jsonl")).string();
  const std::int64_t total = o.epochs * o.batches_per_epoch;

  nn::flatten_parameters(model.parameters());  // one buffer: Adam and the norm are one pass each
  nn::AdamOptions adam_options;
  adam_options.lr = o.lr;
  nn::Adam adam(model.parameters(), adam_options);
  Generator noise(o.seed ^ 0x5DEECE66Dull);  // the model's sampling noise (rsample)
  std::int64_t start = 0;
  const std::string weights = (fs::path(o.out_dir) / "model.safetensors").string();
  if (o.resume && fs::exists(weights)) {
    const nn::SafetensorsFile file = nn::load_safetensors(weights);
    model.load_state_dict(file.tensors, true);
    adam.load((fs::path(o.out_dir) / "optimizer.safetensors").string());
    start = std::stoll(file.metadata.at("train.step"));
    noise.set_offset(std::stoull(file.metadata.at("train.noise_offset")));
    if (std::stoull(file.metadata.at("train.seed")) != o.seed)
      throw ValueError(o.out_dir + ": the checkpoint was trained with seed " + file.metadata.at("train.seed") +
                       ", resuming needs the same --seed");
    truncate_metrics(metrics_path, start, csv);
  } else if (fs::exists(metrics_path)) {
    fs::remove(metrics_path);
  }
  std::ofstream metrics(metrics_path, std::ios::app);
  if (!metrics) throw Error(metrics_path + ": cannot open for writing");
  bool need_header = csv && start == 0;

  data::SequenceSampler sampler(dataset, o.batch_size, o.seed, Device::cpu(), true, start);
  auto save = [&](std::int64_t step) {
    save_model_checkpoint(o.out_dir, model, &adam,
                          {{"train.step", std::to_string(step)},
                           {"train.seed", std::to_string(o.seed)},
                           {"train.noise_offset", std::to_string(noise.offset())},
                           {"train.total_steps", std::to_string(total)}});
  };
  StepMetrics last;
  for (std::int64_t step = start; step < total; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const models::SensorBatch batch = to_sensor_batch(sampler.next());
    adam.zero_grad();
    const models::ElboTerms terms = model.elbo(batch, noise);
    terms.loss.backward();
    const double grad_norm = nn::clip_grad_norm_(model.parameters(), o.grad_clip).item();
    adam.step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    StepMetrics m;
    m.step = step + 1;
    m.values["epoch"] = static_cast<double>(step / o.batches_per_epoch);
    m.values["loss"] = terms.loss.item();
    m.values["elbo"] = terms.elbo.item();
    m.values["kl"] = terms.kl.item();
    for (const auto& [k, v] : terms.reconstruction) m.values["rec/" + k] = v.item();
    for (const auto& [k, v] : terms.mse) m.values["mse/" + k] = v.item();
    for (const auto& [k, v] : terms.probe_loss) m.values["probe/" + k] = v.item();
    if (terms.idm_loss.defined()) m.values["idm"] = terms.idm_loss.item();
    m.values["grad_norm"] = grad_norm;
    m.values["samples_per_s"] = static_cast<double>(o.batch_size) / seconds;
    if (need_header) {
      metrics << "step";
      for (const auto& [k, v] : m.values) metrics << "," << k;
      metrics << "\n";
      need_header = false;
    }
    if (csv) {
      metrics << m.step;
      for (const auto& [k, v] : m.values) metrics << "," << format(v);
    } else {
      metrics << "{\"step\":" << m.step;
      for (const auto& [k, v] : m.values) metrics << ",\"" << k << "\":" << format(v);
      metrics << "}";
    }
    metrics << "\n";
    metrics.flush();
    if ((step + 1) % o.checkpoint_every == 0 || step + 1 == total) save(step + 1);
    if (on_step) on_step(m, total);
    last = m;
  }
  return last;
}

}  // namespace aime::algorithms
