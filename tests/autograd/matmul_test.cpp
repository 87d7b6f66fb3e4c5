#include "autograd/ops/matmul.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime {
namespace {

// The textbook triple loop: the reference the GEMM path is checked against.
std::vector<double> naive_matmul(const std::vector<double>& a, const std::vector<double>& b, int m, int k, int n) {
  std::vector<double> c(m * n, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      for (int p = 0; p < k; ++p) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

TEST(Matmul, HandComputed2x2) {
  Tensor a = tensor({1, 2, 3, 4}, {2, 2}), b = tensor({5, 6, 7, 8}, {2, 2});
  EXPECT_EQ(matmul(a, b).to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
}

TEST(Matmul, MatchesNaiveLoopIncludingBatchesAndLargeSizes) {
  Generator g(1);
  for (auto [m, k, n] : std::vector<std::tuple<int, int, int>>{{3, 4, 5}, {70, 130, 90}, {1, 513, 1}}) {
    Tensor a = randn({m, k}, g, kFloat64), b = randn({k, n}, g, kFloat64);
    const auto want = naive_matmul(a.to_vector<double>(), b.to_vector<double>(), m, k, n);
    const auto got = matmul(a, b).to_vector<double>();
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-10);
  }
  Tensor a = randn({4, 3, 5}, g, kFloat64), b = randn({5, 2}, g, kFloat64);
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{4, 3, 2}));
  const auto row = naive_matmul(a.select(0, 2).contiguous().to_vector<double>(), b.to_vector<double>(), 3, 5, 2);
  const auto got = c.select(0, 2).contiguous().to_vector<double>();
  for (std::size_t i = 0; i < row.size(); ++i) EXPECT_NEAR(got[i], row[i], 1e-12);
}

TEST(Linear, EqualsMatmulWithTransposedWeightPlusBias) {
  Generator g(2);
  Tensor x = randn({2, 3, 4}, g, kFloat64), w = randn({5, 4}, g, kFloat64), b = randn({5}, g, kFloat64);
  const auto got = linear(x, w, b).to_vector<double>();
  const auto want = (matmul(x, w.t()) + b).to_vector<double>();
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
  EXPECT_EQ(linear(x, w, b).shape(), (Shape{2, 3, 5}));
}

// A recurrence uses its weight once per step; backward stacks the steps' factors of the
// weight gradient and forms one product over their rows (defer_leaf_gradient_product),
// flushing every kDeferredRows rows. The gradients equal those of the same recurrence through
// matmul (which never defers), whether the rows stay under the flush size or pass it, and a
// weight used both per step and in a wide layer gets both parts.
TEST(Linear, RecurrentWeightGradientsStackedAcrossStepsEqualPerStepProducts) {
  for (auto [batch, steps] : std::vector<std::pair<std::int64_t, std::int64_t>>{{3, 7}, {200, 8}}) {
    SCOPED_TRACE("batch " + std::to_string(batch) + ", steps " + std::to_string(steps));
    Generator gen(9);
    const Tensor w0 = randn({5, 5}, gen, kFloat64) * 0.3, b0 = randn({5}, gen, kFloat64), h0 = randn({batch, 5}, gen, kFloat64);
    const Tensor wide = randn({300, 5}, gen, kFloat64);  // rows > the deferral's limit: an immediate product
    std::vector<std::vector<double>> grads;
    for (int path = 0; path < 2; ++path) {
      Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_(), h = h0;
      for (std::int64_t t = 0; t < steps; ++t)
        h = tanh(path == 0 ? linear(h, w, b) : matmul(h, transpose(w, 0, 1)) + b);
      Tensor side = path == 0 ? linear(wide, w, b) : matmul(wide, transpose(w, 0, 1)) + b;
      (sum(h * h) + sum(side)).backward();
      grads.push_back(w.grad().to_vector<double>());
      grads.push_back(b.grad().to_vector<double>());
    }
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) EXPECT_NEAR(grads[k][i], grads[2 + k][i], 1e-10 * (1 + std::fabs(grads[2 + k][i])));
  }
  // Outside backward nothing is deferred: the caller computes the product itself.
  const Tensor w = zeros({2, 3}).requires_grad_();
  EXPECT_FALSE(defer_leaf_gradient_product(w.impl_ptr(), zeros({4, 2}), zeros({4, 3})));
}

}  // namespace
}  // namespace aime
