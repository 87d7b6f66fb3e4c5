// One data-parallel training step of the original's world models, timed in its parts:
//   mpirun -np N dp_step --model rssm|rssmo --setup visual|mdp --steps S --warmup W --threads K
//                        [--batch 50] [--horizon 50]
// Every rank holds the whole model (train_step's workload: benchmarks/original_workload.h)
// and computes its share of the global batch (distributed/batch_shard.h); the gradient is
// summed over ranks by the TrainingStep's hook, as in train_world_model. Rank 0 prints one
// JSON line: the median step, the median all-reduce of the packed gradient (4 x parameters
// bytes in float32) and the rest (forward, backward, clip, Adam), and the all-reduce's bus
// bandwidth in nccl-tests' sense, 2 (N - 1) / N x bytes / time: what docs/distributed.md's
// cost model takes as the link's bandwidth. The wait for the slowest rank before the
// all-reduce is printed apart (median_wait_s); compute is the rest of the step. Alone (no mpirun) it is one process, N = 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "algorithms/data_parallel.h"
#include "algorithms/model_training.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "autograd/parallel.h"
#include "benchmarks/original_workload.h"
#include "models/world_model.h"
#include "nn/flat_parameters.h"

using namespace aime;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
}  // namespace

int main(int argc, char** argv) {
  std::string model_name = "rssm", setup_name = "mdp";
  long steps = 5, warmup = 1, threads = num_threads(), batch = 50, horizon = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") model_name = v;
    else if (a == "--setup") setup_name = v;
    else if (a == "--steps") steps = std::stol(v);
    else if (a == "--warmup") warmup = std::stol(v);
    else if (a == "--threads") threads = std::stol(v);
    else if (a == "--batch") batch = std::stol(v);
    else if (a == "--horizon") horizon = std::stol(v);
    else {
      std::cerr << "usage: [mpirun -np N] dp_step --model rssm|rssmo --setup visual|mdp --steps S --warmup W --threads K "
                   "[--batch 50] [--horizon 50]\n";
      return 2;
    }
  }
  try {
    set_num_threads(static_cast<int>(threads));
    distributed::Communicator& world = distributed::world();
    const algorithms::DataParallel parallel(world.size() > 1 ? &world : nullptr, batch);
    const auto sensors = benchmarks::original_sensors(model_name, setup_name);
    const auto config = models::WorldModelConfig::original(model_name, models::parse_setup(setup_name), sensors, 6);
    Generator gen(0);
    models::WorldModel model(config, gen);
    nn::flatten_parameters(model.parameters());
    // The whole batch drawn alike on every rank; each keeps its windows.
    const Batch whole = benchmarks::synthetic_batch(sensors, horizon, batch, 6, kFloat32, Device::cpu(), gen);
    Batch data;
    const auto& shard = parallel.shard();
    for (const auto& [k, t] : whole) data.set(k, t.narrow(1, shard.begin, shard.size()).contiguous());
    Generator noise = algorithms::training_noise(1);
    parallel.shard_noise(noise);

    algorithms::OptimizerGroup group{"model", model.parameters(), {}, 100.0};
    algorithms::TrainingStep training({group});
    // The hook's time has two parts: waiting for the slowest rank to finish its backward
    // (load imbalance: measured by a one-value all-reduce first, which returns when every
    // rank has arrived), then the gradient's own all-reduce (the transfer).
    double wait_seconds = 0.0, reduce_seconds = 0.0;
    const auto hook = parallel.gradient_hook();
    if (hook)
      training.set_gradient_hook([&](const algorithms::OptimizerGroup& g) {
        const auto t0 = std::chrono::steady_clock::now();
        parallel.barrier();
        const auto t1 = std::chrono::steady_clock::now();
        hook(g);
        wait_seconds = std::chrono::duration<double>(t1 - t0).count();
        reduce_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      });
    std::vector<double> step_s, reduce_s, wait_s;
    for (long i = 0; i < warmup + steps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      training.run([&] { return algorithms::share_of_loss(model.elbo(data, noise), shard.weight()); });
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i >= warmup) {
        step_s.push_back(t);
        reduce_s.push_back(reduce_seconds);
        wait_s.push_back(wait_seconds);
      }
    }
    const int n = world.size();
    const double bytes = 4.0 * static_cast<double>(model.num_parameters());
    const double step = median(step_s), reduce = median(reduce_s), wait = median(wait_s);
    if (parallel.is_root())
      std::printf(
          "{\"model\": \"%s\", \"setup\": \"%s\", \"ranks\": %d, \"threads_per_rank\": %ld, \"batch\": %ld, \"horizon\": %ld, "
          "\"windows_per_rank\": %lld, \"parameters\": %lld, \"allreduce_mb\": %.1f, \"median_step_s\": %.4f, "
          "\"median_allreduce_s\": %.4f, \"allreduce_share\": %.4f, \"median_wait_s\": %.4f, \"median_compute_s\": %.4f, "
          "\"bus_gb_per_s\": %.2f, "
          "\"samples_per_s\": %.1f, "
          "\"communicator\": \"%s\"}\n",
          model_name.c_str(), setup_name.c_str(), n, threads, batch, horizon, static_cast<long long>(shard.size()),
          static_cast<long long>(model.num_parameters()), bytes / 1e6, step, reduce, reduce / step, wait, step - reduce - wait,
          n > 1 && reduce > 0 ? 2.0 * (n - 1) / n * bytes / reduce / 1e9 : 0.0, batch * horizon / step,
          world.name().c_str());
  } catch (const Error& e) {
    std::cerr << "dp_step: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
