// gemm_bench: the CPU's two GEMM libraries (Eigen, and the CBLAS of an AIME_BLAS build) on the
// products a world-model training step really makes, each in its three forms.
//
//   gemm_bench [--threads 1,2] [--min-time 0.2]
//
// A linear layer y = x W^T over `rows` rows (x [rows, in], W [out, in]) makes three products
// per step (autograd/cpu/cpu_gemm.cpp): the forward y = x W^T, the input gradient dx = dy W
// and the weight gradient dW = dy^T x. The shapes below are those that carry most of the
// multiply-adds of `train_step` (counted with a trace of CpuBackend::gemm, 2026-12-06): the
// recurrence's per-step products at B = 50 rows, the time-parallel ones over B x T = 2,500,
// and the demo's at B = 16 and 16 x 32 = 512 rows. The convolutions (cnn_ha, 64x64 input)
// run one product per image on one thread each, so they are timed at one thread whatever
// --threads says. Each case runs through CpuBackend::gemm (as the ops call it) until
// --min-time seconds have passed, best of three such runs; the table gives both libraries'
// time and rate and eigen / blas (above 1: the CBLAS is faster). Products over at most
// kPackMaxRows rows in the forward and input-gradient forms also run through the packed-weight
// kernel (autograd/weight_pack.h: the weight packed once, outside the timing, as a recurrence
// packs it once for its steps), with blas / packed (above 1: the packed kernel is faster).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/api.h"

using namespace aime;

namespace {

struct Product {
  std::string what;
  bool ta, tb;
  std::int64_t m, n, k;
  bool one_thread;  // a convolution's per-image product
};

std::vector<Product> linear(const std::string& name, std::int64_t rows, std::int64_t in, std::int64_t out) {
  return {{name + " y=xW^T", false, true, rows, out, in, false},
          {name + " dx=dyW", false, false, rows, in, out, false},
          {name + " dW=dy^Tx", true, false, out, in, rows, false}};
}

std::vector<Product> conv(const std::string& name, std::int64_t o, std::int64_t ck, std::int64_t l) {
  return {{name + " y=WC", false, false, o, l, ck, true},
          {name + " C=W^Tdy", true, false, ck, l, o, true},
          {name + " dW+=dyC^T", false, true, o, ck, l, true}};
}

// Whether a product is one the packed path takes: few rows, op(A) = A (y = x W^T, dx = dy W).
bool packable(const Product& p) { return !p.one_thread && !p.ta && p.m <= kPackMaxRows; }

double seconds_per_call(const Product& p, double min_time, bool packed = false) {
  Generator gen(0);
  const Tensor a = randn(p.ta ? Shape{1, p.k, p.m} : Shape{1, p.m, p.k}, gen);
  const Tensor b = randn(p.tb ? Shape{1, p.n, p.k} : Shape{1, p.k, p.n}, gen);
  const Tensor c = zeros({1, p.m, p.n});
  Backend& cpu = backend_for(Device::cpu());
  const auto weight = packed ? cpu.pack_weight(b.reshape({b.shape()[1], b.shape()[2]}), p.tb) : nullptr;
  if (packed && !weight) return 0.0;
  const Tensor a2 = a.reshape({p.m, p.k}), c2 = c.reshape({p.m, p.n});
  double best = 1e30;
  for (int run = 0; run < 3; ++run) {
    std::int64_t calls = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    do {
      if (weight) {
        cpu.gemm_packed(a2, *weight, c2, 0.0);
      } else {
        cpu.gemm(p.ta, p.tb, a, b, c, 0.0);
      }
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < min_time);
    best = std::min(best, elapsed / calls);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  double min_time = 0.2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--threads") {
      thread_counts.clear();
      for (std::size_t s = 0; s < v.size();) {
        const std::size_t e = v.find(',', s);
        thread_counts.push_back(std::atoi(v.substr(s, e - s).c_str()));
        s = e == std::string::npos ? v.size() : e + 1;
      }
    } else if (a == "--min-time") {
      min_time = std::atof(v.c_str());
    } else {
      std::fprintf(stderr, "usage: gemm_bench [--threads 1,2] [--min-time 0.2]\n");
      return 2;
    }
  }
  if (available_cpu_gemms().size() < 2) {
    std::fprintf(stderr, "gemm_bench: this build has no CBLAS (configure with -DAIME_BLAS=ON): nothing to compare\n");
    return 0;
  }
  std::vector<Product> products;
  for (auto v : {linear("GRU step, B=50, 512->1536", 50, 512, 1536), linear("RSSMO cell, B=50, 512->512", 50, 512, 512),
                 linear("RSSM MLP step, B=50, 128->128", 50, 128, 128),
                 linear("posterior, BT=2500, 640->128", 2500, 640, 128),
                 linear("RSSMO MLP, BT=2500, 512->512", 2500, 512, 512),
                 linear("decoder in, BT=2500, 640->1024", 2500, 640, 1024),
                 linear("demo GRU step, B=16, 64->192", 16, 64, 192), linear("demo MLP, BT=512, 80->64", 512, 80, 64),
                 conv("cnn_ha conv1 per image", 32, 48, 961), conv("cnn_ha conv2 per image", 64, 512, 196),
                 conv("cnn_ha conv3 per image", 128, 1024, 36)})
    products.insert(products.end(), v.begin(), v.end());
  set_cpu_gemm("blas");
  std::printf("CBLAS: %s\n\n", cpu_gemm_name().c_str());
  std::printf("| product | m x n x k | threads | eigen (us) | blas (us) | eigen GFLOP/s | blas GFLOP/s | eigen / blas | "
              "packed (us) | packed GFLOP/s | blas / packed |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int threads : thread_counts) {
    for (const Product& p : products) {
      if (p.one_thread && threads != thread_counts.front()) continue;
      set_num_threads(p.one_thread ? 1 : threads);
      set_cpu_gemm("eigen");
      const double te = seconds_per_call(p, min_time);
      set_cpu_gemm("blas");
      const double tb = seconds_per_call(p, min_time);
      const double tp = packable(p) ? seconds_per_call(p, min_time, true) : 0.0;
      const double flop = 2.0 * p.m * p.n * p.k;
      std::printf("| %s | %ld x %ld x %ld | %d | %.1f | %.1f | %.1f | %.1f | %.2f |", p.what.c_str(), p.m, p.n, p.k,
                  p.one_thread ? 1 : threads, te * 1e6, tb * 1e6, flop / te / 1e9, flop / tb / 1e9, te / tb);
      if (tp > 0.0) {
        std::printf(" %.1f | %.1f | %.2f |\n", tp * 1e6, flop / tp / 1e9, tb / tp);
      } else {
        std::printf(" | | |\n");
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
