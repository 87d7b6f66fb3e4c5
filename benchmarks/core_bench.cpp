// Times aime's hot paths against plain Eigen on the same sizes, in the same process, and
// prints the ratio aime / Eigen (1.0 = as fast as hand-written Eigen; below 1 is faster).
//   matmul: a GEMM of the RSSM's GRU ([50, 512] x [512, 1536]) and a square 512^3 one;
//   conv2d: the first two layers of the original's cnn_ha encoder on a batch of 50 frames;
//   chain:  y = tanh(2x + 1) * sigmoid(x) over 2^20 floats (aime: 5 ops, 5 passes; Eigen:
//           one fused expression), i.e. the price of op-by-op execution.
// Usage: core_bench [--benchmark_filter=...] [--out FILE] (the ratio table also goes to FILE).
#include <benchmark/benchmark.h>

#include "autograd/cpu/eigen_core.h"  // first: see why there
#include <Eigen/Core>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>

#include "autograd/api.h"

using namespace aime;
using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

struct MatmulSize {
  int m, k, n;
};
const MatmulSize kMatmul[] = {{50, 512, 1536}, {512, 512, 512}};

void BM_matmul_aime(benchmark::State& state) {
  const MatmulSize s = kMatmul[state.range(0)];
  Generator g(0);
  Tensor a = randn({s.m, s.k}, g), b = randn({s.k, s.n}, g);
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b).data_ptr());
  state.SetItemsProcessed(state.iterations() * 2LL * s.m * s.k * s.n);  // flops
}
void BM_matmul_eigen(benchmark::State& state) {
  const MatmulSize s = kMatmul[state.range(0)];
  RowMajor a = RowMajor::Random(s.m, s.k), b = RowMajor::Random(s.k, s.n), c(s.m, s.n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * 2LL * s.m * s.k * s.n);
}

struct ConvSize {
  int n, c, h, o, k, s;
};
const ConvSize kConv[] = {{50, 3, 64, 32, 4, 2}, {50, 32, 31, 64, 4, 2}};

void BM_conv2d_aime(benchmark::State& state) {
  const ConvSize s = kConv[state.range(0)];
  Generator g(0);
  Tensor x = randn({s.n, s.c, s.h, s.h}, g), w = randn({s.o, s.c, s.k, s.k}, g);
  for (auto _ : state) benchmark::DoNotOptimize(conv2d(x, w, Tensor(), s.s).data_ptr());
}
// The plain reference: im2col written out, one Eigen GEMM per image, images spread over
// the threads by OpenMP.
void BM_conv2d_eigen(benchmark::State& state) {
  const ConvSize s = kConv[state.range(0)];
  const int ho = (s.h - s.k) / s.s + 1, ck = s.c * s.k * s.k, l = ho * ho;
  RowMajor x = RowMajor::Random(s.n, s.c * s.h * s.h), w = RowMajor::Random(s.o, ck), y(s.n, s.o * l);
  for (auto _ : state) {
#pragma omp parallel
    {
      RowMajor cols(ck, l);
#pragma omp for
      for (int n = 0; n < s.n; ++n) {
        const float* img = x.row(n).data();
        for (int c = 0; c < s.c; ++c)
          for (int i = 0; i < s.k; ++i)
            for (int j = 0; j < s.k; ++j)
              for (int oh = 0; oh < ho; ++oh)
                for (int ow = 0; ow < ho; ++ow)
                  cols((c * s.k + i) * s.k + j, oh * ho + ow) = img[(c * s.h + oh * s.s + i) * s.h + ow * s.s + j];
        Eigen::Map<RowMajor>(y.row(n).data(), s.o, l).noalias() = w * cols;
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
}

constexpr int kChain = 1 << 20;
void BM_chain_aime(benchmark::State& state) {
  Generator g(0);
  Tensor x = randn({kChain}, g);
  for (auto _ : state) benchmark::DoNotOptimize((tanh(x * 2.0 + 1.0) * sigmoid(x)).data_ptr());
  state.SetItemsProcessed(state.iterations() * kChain);
}
void BM_chain_eigen(benchmark::State& state) {
  Eigen::ArrayXf x = Eigen::ArrayXf::Random(kChain), y(kChain);
  for (auto _ : state) {
    // Eigen vectorises but does not thread array expressions; split by hand as aime does.
#pragma omp parallel for
    for (int t = 0; t < 16; ++t) {
      const int lo = t * (kChain / 16), n = kChain / 16;
      y.segment(lo, n) = (x.segment(lo, n) * 2.0f + 1.0f).tanh() * (1.0f / (1.0f + (-x.segment(lo, n)).exp()));
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}

BENCHMARK(BM_matmul_aime)->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_matmul_eigen)->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_conv2d_aime)->DenseRange(0, 1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_conv2d_eigen)->DenseRange(0, 1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_chain_aime)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_chain_eigen)->Unit(benchmark::kMicrosecond);

// Collects each run's time per iteration so that main() can print aime / eigen ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) seconds[r.benchmark_name()] = r.GetAdjustedRealTime();  // per iteration
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
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::ostringstream table;
  table << "\n| case | aime / Eigen time |\n|---|---|\n";
  for (const auto& [name, t] : reporter.seconds) {
    const auto pos = name.find("_aime");
    if (pos == std::string::npos) continue;
    std::string ref = name;
    ref.replace(pos, 5, "_eigen");
    if (!reporter.seconds.count(ref)) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", t / reporter.seconds[ref]);
    table << "| " << name.substr(3) << " | " << buf << " |\n";
  }
  table << "threads: " << num_threads() << "\n";
  std::cout << table.str();
  if (!out.empty()) std::ofstream(out) << table.str();
  return 0;
}
