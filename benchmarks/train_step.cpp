// train_step: times one world-model training step (filter over T steps, ELBO, backward,
// gradient clipping at 100, Adam) at the original's configurations, on CPU or CUDA.
//
//   train_step --model rssm|rssmo --setup visual|mdp --device cpu|cuda --steps N --warmup N
//              --threads K [--size original|demo] [--batch 50] [--horizon 50] [--seed 0]
//              [--dtype float32|float64] [--gemm eigen|blas] [--packed-weights on|off] [--dump DIR]
//
// --size demo is the teaching regime, the README demo's model (configs/small.ini with
// --cnn-width 8: state 64 + 16, every MLP 64 wide, cnn_ha at width 8) at batch 16 x horizon
// 32, where per-op overhead rather than arithmetic sets the pace. --gemm picks the CPU's
// matrix library (autograd/cpu_gemm_choice.h; default: the build's, or AIME_CPU_GEMM), and
// --packed-weights whether the recurrence's weights are packed once per sequence
// (autograd/weight_pack.h; default on where the build has the kernel, or AIME_PACKED_WEIGHTS).
//
// RSSM uses the walker's sensors (orientations 14, height 1, velocity 9), RSSMO the
// cheetah's (position 8, velocity 9); visual adds a 64x64x3 image (the input and the only
// reconstruction; the vectors are probes). A batch is synthetic and fixed (values in the
// data's ranges): the step's cost does not depend on the numbers. Prints one line per timed
// step, then as its last line one JSON object (for scripts): median_step_s, samples_per_s
// (B x T over the median), peak_mib (the device's peak allocated memory during the timed
// steps, through the backend's allocator), reserved_mib (what the allocator holds from the
// system, cache included), peak_rss_mib (the process's peak resident set, as
// getrusage reports it: comparable with the PyTorch reference's), system_allocs_in_timed_steps (calls to malloc or
// cudaMalloc that the allocator's cache did not absorb: 0 in a steady state), and the
// configuration.
//
// --dump DIR writes, instead of timing, one forward and backward of the initial model for the
// PyTorch reference's cross-check (benchmarks/reference/cross_check.py):
//   DIR/weights.safetensors   the state dict; metadata: the model config (world_model.*) and
//                             check.noise_seed, the seed of the Philox stream the filter's
//                             rsample draws from (one randn [B, Z] per step, in order);
//   DIR/batch.safetensors     the batch, time-major [T, B, ...] (pre_action included);
//   DIR/expected.safetensors  loss, elbo, kl, and grad.<name> for every parameter.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "autograd/api.h"
#include "benchmarks/original_workload.h"
#include "models/world_model.h"
#include "nn/nn.h"
#include "nn/serialize/safetensors.h"

using namespace aime;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "train_step: " << why << "\n"
            << "usage: train_step --model rssm|rssmo --setup visual|mdp --device cpu|cuda --steps N --warmup N "
               "--threads K [--size original|demo] [--batch 50] [--horizon 50] [--seed 0] [--dtype float32|float64] "
               "[--gemm eigen|blas] [--packed-weights on|off] [--dump DIR]\n";
  std::exit(2);
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_name = "rssmo", setup_name = "visual", device_name = "cpu";
  long steps = 10, warmup = 2, threads = num_threads(), batch = 0, horizon = 0;
  unsigned long seed = 0;
  std::string dtype_name = "float32", dump_dir, size_name = "original", gemm_name, packed_name;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage("help");
    if (i + 1 >= argc) usage("missing a value after " + a);
    const std::string v = argv[++i];
    try {
      if (a == "--model") model_name = v;
      else if (a == "--setup") setup_name = v;
      else if (a == "--device") device_name = v;
      else if (a == "--steps") steps = std::stol(v);
      else if (a == "--warmup") warmup = std::stol(v);
      else if (a == "--threads") threads = std::stol(v);
      else if (a == "--batch") batch = std::stol(v);
      else if (a == "--horizon") horizon = std::stol(v);
      else if (a == "--seed") seed = std::stoul(v);
      else if (a == "--dtype") dtype_name = v;
      else if (a == "--dump") dump_dir = v;
      else if (a == "--size") size_name = v;
      else if (a == "--gemm") gemm_name = v;
      else if (a == "--packed-weights") packed_name = v;
      else usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad value '" + v + "' for " + a);
    }
  }
  if (model_name != "rssm" && model_name != "rssmo") usage("--model must be rssm or rssmo");
  if (setup_name != "visual" && setup_name != "mdp") usage("--setup must be visual or mdp");
  if (dtype_name != "float32" && dtype_name != "float64") usage("--dtype must be float32 or float64");
  if (size_name != "original" && size_name != "demo") usage("--size must be original or demo");
  const bool demo = size_name == "demo";
  if (batch == 0) batch = demo ? 16 : 50;
  if (horizon == 0) horizon = demo ? 32 : 50;
  const DType dtype = dtype_name == "float64" ? kFloat64 : kFloat32;
  if (steps < 1 || warmup < 0 || threads < 1 || batch < 1 || horizon < 2) usage("need steps >= 1, warmup >= 0, threads >= 1, batch >= 1, horizon >= 2");
  try {
    const Device device = Device::parse(device_name);
    if (device.is_cuda() && !cuda_is_available())
      throw DeviceError("--device " + device_name + ": no CUDA backend in this build or no GPU on this machine");
    set_num_threads(static_cast<int>(threads));
    if (!gemm_name.empty()) set_cpu_gemm(gemm_name);
    if (!packed_name.empty()) {
      if (packed_name != "on" && packed_name != "off") usage("--packed-weights must be on or off");
      set_cpu_packed_weights(packed_name == "on");
    }

    const std::vector<models::SensorSpec> sensors = benchmarks::original_sensors(model_name, setup_name);
    auto config = models::WorldModelConfig::original(model_name, models::parse_setup(setup_name), sensors, 6);
    if (demo) {  // configs/small.ini and the demo's --cnn-width 8 (scripts/demo.sh)
      config.rssm.deterministic_size = config.rssmo.deterministic_size = 64;
      config.rssm.stochastic_size = config.rssmo.stochastic_size = 16;
      config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = 64;
      config.cnn_width = 8;
    }
    Generator gen(seed);
    models::WorldModel model(config, gen);
    model.to(dtype);
    model.to(device);
    nn::flatten_parameters(model.parameters());
    nn::Adam adam(model.parameters(), {});

    const Batch data = benchmarks::synthetic_batch(sensors, horizon, batch, 6, dtype, device, gen);
    Generator noise(seed + 1);

    if (!dump_dir.empty()) {
      nn::Metadata meta = config.to_metadata();
      meta["check.noise_seed"] = std::to_string(seed + 1);
      meta["check.dtype"] = dtype_name;
      nn::save_safetensors(dump_dir + "/weights.safetensors", model.state_dict(), meta);
      nn::StateDict expected;
      nn::save_safetensors(dump_dir + "/batch.safetensors", data);
      const models::ElboTerms terms = model.elbo(data, noise);
      terms.loss.backward();
      expected.set("loss", terms.loss);
      expected.set("elbo", terms.elbo);
      expected.set("kl", terms.kl);
      for (const auto& [name, p] : model.named_parameters())
        if (p.grad().defined()) expected.set("grad." + name, p.grad());
      nn::save_safetensors(dump_dir + "/expected.safetensors", expected);
      std::fprintf(stderr, "train_step: wrote %s/{weights,batch,expected}.safetensors (loss %.10g)\n", dump_dir.c_str(),
                   terms.loss.item());
      return 0;
    }

    auto step = [&] {
      adam.zero_grad();
      const models::ElboTerms terms = model.elbo(data, noise);
      terms.loss.backward();
      nn::clip_grad_norm_(model.parameters(), 100.0);
      adam.step();
      return terms.loss.item();  // the host reads the loss: the step is complete
    };
    const std::string gemm = device.is_cuda() ? std::string("cublas") : cpu_gemm_name();
    std::fprintf(stderr, "train_step: %s %s (%s sizes) on %s, B=%ld T=%ld, %ld threads, GEMM %s, %lld parameters\n",
                 model_name.c_str(), setup_name.c_str(), size_name.c_str(), device.str().c_str(), batch, horizon,
                 threads, gemm.c_str(), static_cast<long long>(model.num_parameters()));
    for (long i = 0; i < warmup; ++i) step();
    reset_peak_memory(device);
    const std::int64_t allocs_before = memory_stats(device).num_allocs;
    const std::int64_t madds_before = cpu_gemm_multiply_adds();
    std::vector<double> times;
    double loss = 0.0;
    for (long i = 0; i < steps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      loss = step();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fprintf(stderr, "step %ld: %.4f s, loss %.4g\n", i, times.back(), loss);
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                            : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
    const MemoryStats mem = memory_stats(device);
    const double rss_mib = peak_rss_mib();  // before the peak GEMM below allocates its operands
    // The step's arithmetic in its products (CPU: every GEMM, the convolutions' included),
    // and this machine's GEMM peak through the same library and threads: a large square
    // product, best of five. Their ratio is the headroom left in the step.
    const double gflop_per_step = 2.0 * static_cast<double>(cpu_gemm_multiply_adds() - madds_before) / steps / 1e9;
    double peak_gflops = 0.0;
    if (!device.is_cuda()) {
      const std::int64_t n = 2048;
      const Tensor x = randn({n, n}, gen), w = randn({n, n}, gen);
      NoGradGuard no_grad;
      for (int r = 0; r < 6; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor y = matmul(x, w);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0) peak_gflops = std::max(peak_gflops, 2.0 * n * n * n / s / 1e9);
      }
    }
    std::printf(
        "{\"model\": \"%s\", \"setup\": \"%s\", \"size\": \"%s\", \"gemm\": \"%s\", \"packed_weights\": %s, \"device\": \"%s\", \"batch\": %ld, \"horizon\": %ld, \"threads\": %ld, "
        "\"steps\": %ld, \"warmup\": %ld, \"parameters\": %lld, \"median_step_s\": %.6f, \"min_step_s\": %.6f, "
        "\"samples_per_s\": %.1f, \"peak_mib\": %.1f, \"reserved_mib\": %.1f, \"peak_rss_mib\": %.1f, \"system_allocs_in_timed_steps\": %lld, "
        "\"gemm_gflop_per_step\": %.3f, \"gemm_gflops\": %.1f, \"gemm_peak_gflops\": %.1f, \"last_loss\": %.6g}\n",
        model_name.c_str(), setup_name.c_str(), size_name.c_str(), gemm.c_str(), !device.is_cuda() && cpu_packed_weights() ? "true" : "false", device.str().c_str(), batch, horizon,
        threads, steps, warmup,
        static_cast<long long>(model.num_parameters()), median, sorted.front(), batch * horizon / median,
        mem.peak_bytes / 1048576.0, mem.reserved_bytes / 1048576.0, rss_mib, static_cast<long long>(mem.num_allocs - allocs_before),
        gflop_per_step, gflop_per_step / median, peak_gflops, loss);
  } catch (const Error& e) {
    std::cerr << "train_step: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
