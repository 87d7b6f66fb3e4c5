#include "autograd/ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime {
namespace {

std::vector<double> v(const Tensor& t) { return t.to_vector<double>(); }

void expect_all_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Elementwise, BinaryValuesBroadcastLikeNumPy) {
  Tensor a = tensor({1, 2, 3}, {3, 1}, kFloat64), b = tensor({10, 20}, {2}, kFloat64);
  Tensor s = a + b;
  EXPECT_EQ(s.shape(), (Shape{3, 2}));
  EXPECT_EQ(v(s), (std::vector<double>{11, 21, 12, 22, 13, 23}));
  EXPECT_EQ(v(a - b), (std::vector<double>{-9, -19, -8, -18, -7, -17}));
  EXPECT_EQ(v(a * b), (std::vector<double>{10, 20, 20, 40, 30, 60}));
  expect_all_near(v(b / a), {10, 20, 5, 10, 10.0 / 3, 20.0 / 3});
  expect_all_near(v(pow(a, tensor({2, 0.5}, {}, kFloat64))), {1, 1, 4, std::sqrt(2.0), 9, std::sqrt(3.0)});
  EXPECT_EQ(v(maximum(a, tensor({2}, {}, kFloat64))), (std::vector<double>{2, 2, 3}));
  EXPECT_EQ(v(minimum(a, tensor({2}, {}, kFloat64))), (std::vector<double>{1, 2, 2}));
  EXPECT_EQ(v(2.0 - a), (std::vector<double>{1, 0, -1}));
  EXPECT_EQ(v(6.0 / a), (std::vector<double>{6, 3, 2}));
}

TEST(Elementwise, TypePromotionAndTrueDivision) {
  Tensor i = tensor({1, 2, 3}, {}, kInt64), f = tensor({0.5, 0.5, 0.5});
  EXPECT_EQ((i + f).dtype(), kFloat32);
  EXPECT_EQ((f + tensor({1.0}, {}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ((i + i).dtype(), kInt64);
  Tensor d = i / tensor({2, 2, 2}, {}, kInt64);
  EXPECT_EQ(d.dtype(), kFloat32);  // true division, as torch
  EXPECT_EQ(v(d), (std::vector<double>{0.5, 1, 1.5}));
  EXPECT_EQ((i * 0.5).dtype(), kFloat32);
}

TEST(Elementwise, ComparisonsAndWhere) {
  Tensor a = tensor({1, 5, 3}), b = tensor({2, 5, 1});
  EXPECT_EQ(lt(a, b).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 0, 0}));
  EXPECT_EQ(le(a, b).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_EQ(eq(a, b).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(ne(a, b).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(gt(a, b).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 1}));
  EXPECT_EQ(ge(a, b).dtype(), kUInt8);
  EXPECT_EQ(v(where(a > b, a, b)), (std::vector<double>{2, 5, 3}));
  EXPECT_THROW(where(a, a, b), DTypeError);  // the condition must be a uint8 mask
}

TEST(Elementwise, UnaryClosedForms) {
  const std::vector<double> x = {-2.0, -0.5, 0.5, 3.0};
  Tensor t = tensor(x, {}, kFloat64);
  auto each = [&](double (*f)(double)) {
    std::vector<double> out;
    for (double e : x) out.push_back(f(e));
    return out;
  };
  expect_all_near(v(neg(t)), {2.0, 0.5, -0.5, -3.0});
  expect_all_near(v(exp(t)), each([](double e) { return std::exp(e); }));
  expect_all_near(v(abs(t)), {2.0, 0.5, 0.5, 3.0});
  expect_all_near(v(square(t)), {4.0, 0.25, 0.25, 9.0});
  expect_all_near(v(tanh(t)), each([](double e) { return std::tanh(e); }));
  expect_all_near(v(sigmoid(t)), each([](double e) { return 1 / (1 + std::exp(-e)); }));
  expect_all_near(v(softplus(t)), each([](double e) { return std::log(1 + std::exp(e)); }));
  expect_all_near(v(relu(t)), {0, 0, 0.5, 3.0});
  expect_all_near(v(elu(t)), {std::exp(-2.0) - 1, std::exp(-0.5) - 1, 0.5, 3.0});
  expect_all_near(v(silu(t)), each([](double e) { return e / (1 + std::exp(-e)); }));
  expect_all_near(v(clamp(t, -1, 1)), {-1, -0.5, 0.5, 1});
  expect_all_near(v(log_sigmoid(t)), each([](double e) { return -std::log(1 + std::exp(-e)); }));
  Tensor p = tensor({0.25, 1.0, 4.0}, {}, kFloat64);
  expect_all_near(v(log(p)), {std::log(0.25), 0.0, std::log(4.0)});
  expect_all_near(v(log1p(p)), {std::log(1.25), std::log(2.0), std::log(5.0)});
  expect_all_near(v(sqrt(p)), {0.5, 1.0, 2.0});
  expect_all_near(v(rsqrt(p)), {2.0, 1.0, 0.5});
  expect_all_near(v(atanh(tensor({-0.5, 0.0, 0.9}, {}, kFloat64))), {std::atanh(-0.5), 0.0, std::atanh(0.9)});
  expect_all_near(v(pow(p, 1.5)), {0.125, 1.0, 8.0});
}

TEST(Elementwise, StableAtExtremes) {
  Tensor big = tensor({-1000, 1000}, {}, kFloat64);
  expect_all_near(v(sigmoid(big)), {0, 1});
  expect_all_near(v(softplus(big)), {0, 1000});
  expect_all_near(v(log_sigmoid(big)), {-1000, 0});
  expect_all_near(v(silu(big)), {0, 1000});
  Tensor inf = tensor({-INFINITY, INFINITY}, {}, kFloat64);
  EXPECT_EQ(v(exp(inf)), (std::vector<double>{0, INFINITY}));
  EXPECT_EQ(v(exp(tensor({-1000, -100}))), (std::vector<double>{0, 0}));  // float32 underflow
  expect_all_near(v(tanh(inf)), {-1, 1});
  expect_all_near(v(sigmoid(inf)), {0, 1});
  EXPECT_EQ(v(log(tensor({0.0}, {}, kFloat64)))[0], -INFINITY);
  EXPECT_EQ(v(sqrt(tensor({0.0}, {}, kFloat64)))[0], 0.0);
  // float32 too: no inf or nan from exp overflow.
  for (double e : v(log_sigmoid(tensor({-200, 200}))))
    EXPECT_TRUE(std::isfinite(e));
}

TEST(Elementwise, MaximumSplitsTiedGradientsInHalf) {
  Tensor a = tensor({1, 2}, {}, kFloat64).requires_grad_(), b = tensor({1, 1}, {}, kFloat64).requires_grad_();
  sum(maximum(a, b)).backward();
  EXPECT_EQ(v(a.grad()), (std::vector<double>{0.5, 1}));
  EXPECT_EQ(v(b.grad()), (std::vector<double>{0.5, 0}));
}

TEST(Elementwise, ReluEluClampGradientsAtKnownPoints) {
  Tensor x = tensor({-1, 2}, {}, kFloat64).requires_grad_();
  sum(relu(x) + elu(x, 2.0) + clamp(x, -0.5, 5.0)).backward();
  // relu' = {0, 1}; elu' = {2 e^-1, 1}; clamp' = {0, 1}
  expect_all_near(v(x.grad()), {2 * std::exp(-1.0), 3});
}

// The select loops (elu, maximum, minimum and elu's gradient) run vectorised, with masks,
// since the build passes -fno-trapping-math (CMakeLists.txt): over float32 rows long enough
// for the vector body and an odd tail, with mixed signs and NaNs, each value is its scalar
// closed form and every NaN passes through.
TEST(Elementwise, SelectLoopsMatchTheirClosedFormsAndPassNaN) {
  const std::int64_t n = 1029;
  std::vector<double> xs(n);
  for (std::int64_t i = 0; i < n; ++i)
    xs[i] = i % 97 == 5 ? std::nan("") : (i % 3 == 0 ? -1.0 : 1.0) * (0.001 + 0.01 * static_cast<double>(i % 17));
  Tensor x = tensor(xs, {n}, kFloat32).requires_grad_();
  Tensor y = elu(x, 2.0);
  sum(y).backward();
  const std::vector<double> ye = v(y), g = v(x.grad());
  const std::vector<double> mx = v(maximum(x.detach(), zeros({n}))), mn = v(minimum(x.detach(), zeros({n})));
  for (std::int64_t i = 0; i < n; ++i) {
    const double xi = static_cast<float>(xs[i]);
    if (std::isnan(xi)) {
      EXPECT_TRUE(std::isnan(ye[i]) && std::isnan(mx[i]) && std::isnan(mn[i])) << "at " << i;
      continue;
    }
    EXPECT_NEAR(ye[i], xi > 0 ? xi : 2.0 * std::expm1(xi), 1e-6) << "at " << i;
    EXPECT_NEAR(g[i], xi > 0 ? 1.0 : 2.0 * std::exp(xi), 1e-6) << "at " << i;
    EXPECT_EQ(mx[i], std::max(xi, 0.0)) << "at " << i;
    EXPECT_EQ(mn[i], std::min(xi, 0.0)) << "at " << i;
  }
}

}  // namespace
}  // namespace aime
