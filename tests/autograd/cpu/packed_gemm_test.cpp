// The packed-weight products of a recurrence's steps (autograd/cpu/cpu_packed_gemm.h,
// autograd/weight_pack.h) against plain loops in double and against linear() outside a scope.
#include "autograd/cpu/cpu_packed_gemm.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "autograd/api.h"
#include "autograd/cpu/cpu_backend.h"

namespace aime::cpu {
namespace {

// Restores the packing switch a test changes.
struct PackingSwitch {
  bool before = cpu_packed_weights();
  ~PackingSwitch() { set_cpu_packed_weights(before); }
};

TEST(PackedGemm, PanelsMatchATripleLoopOnEveryEdge) {
  if (!packed_gemm_available()) GTEST_SKIP() << "this build has no packed kernel (no AVX2 and FMA)";
  Generator gen(11);
  for (bool tb : {true, false})
    for (std::int64_t m : {1, 2, 5, 6, 7, 13, 50})
      for (std::int64_t n : {1, 15, 16, 17, 40})
        for (std::int64_t k : {1, 3, 130})
          for (double beta : {0.0, 1.0, 0.5}) {
            SCOPED_TRACE("tb=" + std::to_string(tb) + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                         " k=" + std::to_string(k) + " beta=" + std::to_string(beta));
            const Tensor a = randn({m, k}, gen), b = randn(tb ? Shape{n, k} : Shape{k, n}, gen), c0 = randn({m, n}, gen);
            const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = c0.to_vector<double>();
            const PackedPanels packed = pack_panels(b.data<float>(), tb, k, n);
            Tensor c = c0.clone();
            const std::int64_t madds = cpu_gemm_multiply_adds();
            gemm_panels(a.data<float>(), m, packed, c.data<float>(), beta);
            EXPECT_EQ(cpu_gemm_multiply_adds() - madds, m * n * k);
            const std::vector<float> got = c.to_vector<float>();
            for (std::int64_t i = 0; i < m; ++i)
              for (std::int64_t j = 0; j < n; ++j) {
                double want = beta * cv[i * n + j], scale = std::fabs(want);
                for (std::int64_t p = 0; p < k; ++p) {
                  const double term = av[i * k + p] * (tb ? bv[j * k + p] : bv[p * n + j]);
                  want += term;
                  scale += std::fabs(term);
                }
                ASSERT_NEAR(got[i * n + j], want, 1e-6 * (1 + scale)) << "row " << i << ", column " << j;
              }
          }
}

// Each output is one tile's sum over k in order, whichever thread owns its panel.
TEST(PackedGemm, ThreadsGiveTheSameBits) {
  if (!packed_gemm_available()) GTEST_SKIP() << "this build has no packed kernel (no AVX2 and FMA)";
  Generator gen(12);
  const std::int64_t m = 50, n = 1536, k = 512;  // the GRU's recurrent product: threaded
  const Tensor a = randn({m, k}, gen), w = randn({n, k}, gen);
  const PackedPanels packed = pack_panels(w.data<float>(), true, k, n);
  const int threads = num_threads();
  std::vector<std::vector<float>> out;
  for (int t : {1, 2}) {
    set_num_threads(t);
    Tensor c = zeros({m, n});
    gemm_panels(a.data<float>(), m, packed, c.data<float>(), 0.0);
    out.push_back(c.to_vector<float>());
  }
  set_num_threads(threads);
  EXPECT_EQ(out[0], out[1]);
}

// A GRU-like recurrence: forward and every gradient inside a scope (packed weights, the input
// gradient's packing made lazily in backward) equal the same steps outside one.
TEST(WeightPack, RecurrenceInAScopeEqualsTheLibraryPath) {
  if (!packed_gemm_available()) GTEST_SKIP() << "this build has no packed kernel (no AVX2 and FMA)";
  PackingSwitch restore;
  set_cpu_packed_weights(true);
  Generator gen(13);
  const std::int64_t B = 7, H = 40, I = 9, T = 6;
  const Tensor wh0 = randn({3 * H, H}, gen) * 0.2, wi0 = randn({3 * H, I}, gen) * 0.3, b0 = randn({3 * H}, gen);
  const Tensor xs = randn({T, B, I}, gen), h0 = randn({B, H}, gen);
  std::vector<std::vector<float>> results;
  for (bool scoped : {false, true}) {
    Tensor wh = wh0.clone().requires_grad_(), wi = wi0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Tensor x = xs.clone().requires_grad_(), h = h0;
    {
      std::unique_ptr<WeightPackScope> scope = scoped ? std::make_unique<WeightPackScope>() : nullptr;
      for (std::int64_t t = 0; t < T; ++t) {
        const auto g = chunk(linear(x.select(0, t), wi, b) + linear(h, wh), 3, -1);
        h = tanh(g[2]) * sigmoid(g[0]) + h * sigmoid(g[1]);
      }
      if (scoped) {  // the scope holds a packing of each weight, made by the second step
        ASSERT_NE(weight_pack(wh), nullptr);
        EXPECT_NE(weight_pack(wh)->forward(), nullptr);
      }
    }
    sum(h * h).backward();
    results.push_back(h.to_vector<float>());
    for (const Tensor& p : {wh, wi, b, x}) results.push_back(p.grad().to_vector<float>());
  }
  const std::size_t half = results.size() / 2;
  for (std::size_t r = 0; r < half; ++r)
    for (std::size_t i = 0; i < results[r].size(); ++i)
      ASSERT_NEAR(results[half + r][i], results[r][i], 1e-4 * (1 + std::fabs(results[r][i]))) << "result " << r;
}

// A scope packs a weight's values at its second use; the next scope sees the weight's new
// values. Outside a scope, at a first use, with a grad_fn, in float64 or when switched off,
// nothing is packed.
TEST(WeightPack, EachScopePacksTheWeightsCurrentValues) {
  if (!packed_gemm_available()) GTEST_SKIP() << "this build has no packed kernel (no AVX2 and FMA)";
  PackingSwitch restore;
  set_cpu_packed_weights(true);
  Generator gen(14);
  Tensor w = randn({20, 8}, gen);
  const Tensor x = randn({3, 8}, gen);
  EXPECT_EQ(weight_pack(w), nullptr);
  for (int round = 0; round < 2; ++round) {
    std::vector<float> packed, plain = linear(x, w).to_vector<float>();
    {
      WeightPackScope scope;
      EXPECT_EQ(linear(x, w).to_vector<float>(), plain);  // the first use: the library's product
      packed = linear(x, w).to_vector<float>();
      EXPECT_NE(weight_pack(w)->forward(), nullptr);
      const Tensor traced = w.clone().requires_grad_() * 2.0, wide = w.to(kFloat64), other = w.clone();
      for (int use = 0; use < 2; ++use) EXPECT_EQ(weight_pack(traced), nullptr);  // has a grad_fn
      EXPECT_EQ(weight_pack(wide), nullptr);
      EXPECT_EQ(weight_pack(wide)->forward(), nullptr);
      set_cpu_packed_weights(false);
      EXPECT_EQ(weight_pack(other), nullptr);
      EXPECT_EQ(weight_pack(other)->forward(), nullptr);
      set_cpu_packed_weights(true);
    }
    for (std::size_t i = 0; i < plain.size(); ++i) ASSERT_NEAR(packed[i], plain[i], 1e-5 * (1 + std::fabs(plain[i])));
    w.mul_(-3.0);  // between scopes, as an optimiser step
  }
  EXPECT_FALSE(weight_pack_scope_open());
}

}  // namespace
}  // namespace aime::cpu
