#include "nn/init.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime::nn {
namespace {

double sample_std(const Tensor& t) { return std::sqrt(var(t.to(kFloat64), {}, 0).item()); }

TEST(Init, FanInAndFanOutFollowPyTorch) {
  EXPECT_EQ(init::fan_in_and_fan_out(empty({5, 3})), (std::pair<std::int64_t, std::int64_t>{3, 5}));
  EXPECT_EQ(init::fan_in_and_fan_out(empty({8, 4, 3, 3})), (std::pair<std::int64_t, std::int64_t>{36, 72}));
  EXPECT_THROW(init::fan_in_and_fan_out(empty({5})), ValueError);
}

TEST(Init, GainsMatchCalculateGain) {
  EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv2d"), 1.0);
  EXPECT_THROW(init::calculate_gain("gelu"), ValueError);
}

TEST(Init, XavierAndKaimingHaveTheirStandardDeviations) {
  Generator gen(1);
  Tensor w = empty({300, 200});
  init::xavier_uniform_(w, 1.0, gen);
  const double xavier_bound = std::sqrt(6.0 / 500.0);
  EXPECT_LE(max(abs(w)).item(), xavier_bound);
  EXPECT_NEAR(sample_std(w), xavier_bound / std::sqrt(3.0), 0.01 * xavier_bound);
  init::xavier_normal_(w, 2.0, gen);
  EXPECT_NEAR(sample_std(w), 2.0 * std::sqrt(2.0 / 500.0), 0.02 * std::sqrt(2.0 / 500.0) * 2);
  init::kaiming_normal_(w, 0.0, true, "relu", gen);
  EXPECT_NEAR(sample_std(w), std::sqrt(2.0 / 200.0), 0.02 * std::sqrt(2.0 / 200.0));
  init::kaiming_uniform_(w, 0.0, false, "relu", gen);  // fan_out mode
  EXPECT_NEAR(sample_std(w), std::sqrt(2.0 / 300.0), 0.02 * std::sqrt(2.0 / 300.0));
  init::normal_(w, 3.0, 0.5, gen);
  EXPECT_NEAR(mean(w).item(), 3.0, 0.01);
  init::constant_(w, 0.25);
  EXPECT_EQ(max(abs(w - 0.25)).item(), 0.0);
}

void expect_orthonormal_rows_or_columns(const Tensor& w, double gain) {
  const Tensor m = w.to(kFloat64).reshape({w.size(0), -1}) / gain;
  const bool wide = m.size(0) < m.size(1);
  const Tensor gram = wide ? matmul(m, m.t()) : matmul(m.t(), m);
  const std::int64_t n = gram.size(0);
  const Tensor eye = eq(arange(n).reshape({n, 1}), arange(n).reshape({1, n})).to(kFloat64);
  EXPECT_LT(max(abs(gram - eye)).item(), 1e-5) << shape_str(w.shape());
}

TEST(Init, OrthogonalGivesOrthonormalRowsOrColumns) {
  Generator gen(2);
  for (const Shape& shape : {Shape{6, 6}, Shape{3, 7}, Shape{9, 4}, Shape{4, 2, 3, 3}}) {
    Tensor w = empty(shape);
    init::orthogonal_(w, 1.5, gen);
    expect_orthonormal_rows_or_columns(w, 1.5);
  }
  Tensor a = empty({5, 5}), b = empty({5, 5});
  Generator g1(7), g2(7);
  init::orthogonal_(a, 1.0, g1);
  init::orthogonal_(b, 1.0, g2);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
}

TEST(Init, WorksOnFloat64AndRejectsIntegers) {
  Generator gen(3);
  Tensor w = empty({4, 4}, kFloat64);
  init::uniform_(w, -2, -1, gen);
  EXPECT_LE(max(w).item(), -1.0);
  EXPECT_GE(-max(-w).item(), -2.0);
  Tensor i = empty({4, 4}, kInt64);
  EXPECT_THROW(init::uniform_(i, 0, 1, gen), DTypeError);
}

}  // namespace
}  // namespace aime::nn
