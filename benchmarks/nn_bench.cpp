// Times the optimiser-side passes of a training step over the parameters of the original's
// cheetah visual RSSMO core (cnn_ha encoder and decoder, pre_memory, GRU(512, 512), prior
// and posterior nets: 7,514,299 float32 parameters in 38 tensors, docs/original.md §2),
// three ways, in the same process:
//   flat:       parameters packed into one buffer (nn/flat_parameters.h): one fused pass;
//   per_tensor: the same fused kernels called once per parameter tensor;
//   ops:        the reference a framework without fused optimisers runs: Adam written
//               with tensor ops (m = b1 m + (1 - b1) g, ...: several passes and temporaries
//               per tensor), the norm as sum(square(g)) per tensor.
// and prints each time over the ops reference (below 1 is faster).
// Usage: nn_bench [--benchmark_filter=...] [--out FILE]
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "autograd/api.h"
#include "nn/nn.h"

using namespace aime;

namespace {

// Weight and bias shapes of the RSSMO core, layer by layer.
std::vector<Shape> rssmo_shapes() {
  return {{32, 3, 4, 4},   {32},   {64, 32, 4, 4},   {64},   {128, 64, 4, 4}, {128},  {256, 128, 4, 4}, {256},
          {1024, 542},     {1024}, {1024, 128, 5, 5}, {128}, {128, 64, 5, 5}, {64},   {64, 32, 6, 6},   {32},
          {32, 3, 6, 6},   {3},    {512, 36},         {512}, {512},           {512},  {1536, 512},      {1536, 512},
          {1536},          {1536}, {512, 512},        {512}, {512},           {512},  {60, 512},        {60},
          {512, 1536},     {512},  {512},             {512}, {60, 512},       {60}};
}

struct Setup {
  std::vector<Tensor> params;
  explicit Setup(bool flat) {
    Generator gen(0);
    for (const auto& s : rssmo_shapes()) {
      Tensor p = randn(s, gen).requires_grad_();
      p.set_grad(randn(s, gen) * 1e-2);
      params.push_back(p);
    }
    if (flat) nn::flatten_parameters(params);
  }
};

void BM_adam_flat(benchmark::State& state) {
  Setup s(true);
  nn::Adam adam(s.params);
  for (auto _ : state) adam.step();
  state.counters["params"] = static_cast<double>(nn::find_flat_parameters(s.params).data.numel());
}

void BM_adam_per_tensor(benchmark::State& state) {
  Setup s(false);
  nn::Adam adam(s.params);
  for (auto _ : state) adam.step();
}

// Adam through tensor ops, PyTorch's equations, one tensor at a time.
void BM_adam_ops(benchmark::State& state) {
  Setup s(false);
  std::vector<Tensor> m, v;
  for (const auto& p : s.params) {
    m.push_back(zeros_like(p));
    v.push_back(zeros_like(p));
  }
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  int step = 0;
  for (auto _ : state) {
    NoGradGuard no_grad;
    ++step;
    const double c1 = 1 - std::pow(b1, step), c2 = std::sqrt(1 - std::pow(b2, step));
    for (std::size_t i = 0; i < s.params.size(); ++i) {
      const Tensor g = s.params[i].grad();
      m[i] = m[i] * b1 + g * (1 - b1);
      v[i] = v[i] * b2 + square(g) * (1 - b2);
      s.params[i].add_(m[i] / (sqrt(v[i]) / c2 + eps), -lr / c1);
    }
  }
}

void BM_grad_norm_flat(benchmark::State& state) {
  Setup s(true);
  for (auto _ : state) benchmark::DoNotOptimize(nn::grad_norm(s.params).item());
}

void BM_grad_norm_per_tensor(benchmark::State& state) {
  Setup s(false);
  for (auto _ : state) benchmark::DoNotOptimize(nn::grad_norm(s.params).item());
}

void BM_grad_norm_ops(benchmark::State& state) {
  Setup s(false);
  for (auto _ : state) {
    Tensor total = scalar_tensor(0.0);
    for (const auto& p : s.params) total = total + sum(square(p.grad()));
    benchmark::DoNotOptimize(std::sqrt(total.item()));
  }
}

void BM_zero_grad_flat(benchmark::State& state) {
  Setup s(true);
  nn::SGD sgd(s.params);
  for (auto _ : state) sgd.zero_grad();
}

void BM_zero_grad_per_tensor(benchmark::State& state) {
  Setup s(false);
  nn::SGD sgd(s.params);
  for (auto _ : state) sgd.zero_grad();
}

void BM_zero_grad_ops(benchmark::State& state) {
  Setup s(false);
  for (auto _ : state)
    for (auto& p : s.params) p.set_grad(zeros_like(p));  // a fresh zero tensor per parameter
}

BENCHMARK(BM_adam_flat)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adam_per_tensor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adam_ops)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_grad_norm_flat)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_grad_norm_per_tensor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_grad_norm_ops)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_zero_grad_flat)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_zero_grad_per_tensor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_zero_grad_ops)->Unit(benchmark::kMillisecond);

class TimeCollector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) seconds[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  TimeCollector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::ostringstream table;
  table << "\n| pass | flat (ms) | per tensor (ms) | ops reference (ms) | flat / ops | per tensor / ops |\n"
        << "|---|---|---|---|---|---|\n";
  for (const char* pass : {"adam", "grad_norm", "zero_grad"}) {
    const std::string base = std::string("BM_") + pass;
    auto t = [&](const char* how) {
      auto it = reporter.seconds.find(base + "_" + how);
      return it == reporter.seconds.end() ? NAN : it->second;  // reported in ms (Unit above)
    };
    char buf[160];
    std::snprintf(buf, sizeof buf, "| %s | %.3f | %.3f | %.3f | %.2f | %.2f |\n", pass, t("flat"), t("per_tensor"),
                  t("ops"), t("flat") / t("ops"), t("per_tensor") / t("ops"));
    table << buf;
  }
  table << "threads: " << num_threads() << "\n";
  std::cout << table.str();
  if (!out.empty()) std::ofstream(out) << table.str();
  return 0;
}
