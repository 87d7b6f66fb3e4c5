// Loader throughput at the original's training shapes: batches of B = 50 windows of T = 50
// steps with 64x64x3 images (plus a 6-d pre_action and a 24-d vector), from 20 synthetic
// episodes of 501 steps held in memory. Three numbers, in the same process:
//   collate:    building one batch on the calling thread (draw + gather + uint8 -> float
//               [T, B, C, H, W] / 255);
//   encoder:    the first conv layer of the original's cnn_ha encoder (3 -> 32, k4, s2) over
//               the batch's 2,500 frames, forward only: a small lower bound on what a
//               world-model training step spends on the same batch;
//   step:       one training step of the original's walker visual world model (RSSM,
//               7.3M parameters: ELBO forward, backward, Adam) on such a batch, the
//               time the loader has to hide behind (skip with --no-step);
//   wait:       how long next() blocks with prefetch on while the caller runs that encoder
//               layer between batches, median and max after 3 warm-up batches (0 = the
//               loader is never the bottleneck).
// Usage: data_bench [--batches N] [--no-step]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>

#include "autograd/api.h"
#include "data/sequence_sampler.h"
#include "models/world_model.h"
#include "nn/optim/adam.h"

using namespace aime;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int batches = 20;
  bool step = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--batches") && i + 1 < argc) batches = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--no-step")) step = false;
  }
  Generator gen(0);
  std::vector<data::Episode> episodes;
  for (int e = 0; e < 20; ++e) {
    data::Episode ep;
    ep.set("image", (rand({501, 64, 64, 3}, gen) * 255.0).to(kUInt8));
    ep.set("pre_action", rand({501, 6}, gen) * 2.0 - 1.0);
    ep.set("velocity", randn({501, 24}, gen, kFloat64));
    episodes.push_back(ep);
  }
  data::SequenceDatasetOptions options;
  options.horizon = 50;
  // The same episodes on disk, read on demand under a budget of a quarter of the folder:
  // stored entries by rows, compressed ones through the cache (the OS page cache is warm).
  namespace fs = std::filesystem;
  const fs::path disk = fs::temp_directory_path() / "aime_data_bench";
  std::vector<std::pair<std::string, double>> on_disk;
  std::uint64_t folder_bytes = 0;
  for (const auto& ep : episodes)
    for (const auto& [key, a] : ep.arrays()) folder_bytes += static_cast<std::uint64_t>(a.data.numel()) * dtype_size(a.data.dtype());
  for (data::Compression c : {data::Compression::Stored, data::Compression::Deflate}) {
    fs::remove_all(disk);
    fs::create_directories(disk);
    for (std::size_t e = 0; e < episodes.size(); ++e)
      data::save_episode((disk / (std::to_string(e) + ".npz")).string(), episodes[e], c);
    data::SequenceDatasetOptions lazy = options;
    lazy.memory_budget = folder_bytes / 4;
    const data::SequenceDataset ds(disk.string(), lazy);
    data::SequenceSampler s(ds, 50, 1, Device::cpu(), false);
    s.next();
    const auto t = Clock::now();
    for (int i = 0; i < batches; ++i) s.next();
    on_disk.emplace_back(c == data::Compression::Stored ? "stored, by rows" : "compressed, LRU cache",
                         seconds_since(t) / batches);
  }
  fs::remove_all(disk);
  const data::SequenceDataset dataset(std::move(episodes), {}, options);

  data::SequenceSampler plain(dataset, 50, 1, Device::cpu(), false);
  plain.next();  // warm the allocator
  auto t0 = Clock::now();
  for (int i = 0; i < batches; ++i) plain.next();
  const double collate = seconds_since(t0) / batches;

  const Tensor weight = randn({32, 3, 4, 4}, gen) * 0.1;
  const Batch probe = plain.next();
  const Tensor frames = probe.at("image").reshape({50 * 50, 3, 64, 64});
  conv2d(frames, weight, Tensor(), 2);
  t0 = Clock::now();
  for (int i = 0; i < 3; ++i) conv2d(frames, weight, Tensor(), 2);
  const double encoder = seconds_since(t0) / 3;

  double step_seconds = 0;
  if (step) {
    const std::vector<models::SensorSpec> sensors = {{"image", {3, 64, 64}}, {"velocity", {24}}};
    models::WorldModel model(models::WorldModelConfig::original("rssm", models::Setup::Visual, sensors, 6), gen);
    nn::Adam adam(model.parameters());
    const Batch batch = probe;
    for (int i = 0; i < 2; ++i) {  // the first warms the allocator
      t0 = Clock::now();
      adam.zero_grad();
      model.elbo(batch, gen).loss.backward();
      adam.step();
      step_seconds = seconds_since(t0);
    }
  }

  data::SequenceSampler prefetching(dataset, 50, 1, Device::cpu(), true);
  std::vector<double> waits;
  for (int i = 0; i < batches + 3; ++i) {  // the first 3 warm the allocator's cache
    conv2d(frames, weight, Tensor(), 2);    // the "training step"
    t0 = Clock::now();
    const Batch b = prefetching.next();
    if (i >= 3) waits.push_back(seconds_since(t0));
  }
  std::sort(waits.begin(), waits.end());
  const double wait = waits[waits.size() / 2], worst = waits.back();
  std::printf("| measure | per batch (ms) | batches/s |\n|---|---|---|\n");
  std::printf("| collate (no prefetch) | %.1f | %.1f |\n", collate * 1e3, 1 / collate);
  for (const auto& [what, sec] : on_disk)
    std::printf("| collate from disk, %s, budget 1/4 of the folder | %.1f | %.1f |\n", what.c_str(), sec * 1e3, 1 / sec);
  std::printf("| encoder layer 1, forward | %.1f | %.1f |\n", encoder * 1e3, 1 / encoder);
  std::printf("| wait in next() with prefetch, median (max) | %.2f (%.1f) | |\n", wait * 1e3, worst * 1e3);
  if (step) std::printf("| world-model training step (walker visual RSSM) | %.0f | %.3f |\n", step_seconds * 1e3, 1 / step_seconds);
  std::printf("batch: image [50, 50, 3, 64, 64] float32 (%.0f MiB), %d threads\n",
              static_cast<double>(probe.at("image").numel()) * 4 / (1 << 20), num_threads());
  return 0;
}
