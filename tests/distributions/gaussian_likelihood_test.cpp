#include "distributions/gaussian_likelihood.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"

namespace aime::distributions {
namespace {

TEST(GaussianLikelihood, FixedStdValuesAtFixedPoints) {
  // log N(1 | 0, 1) = -1/2 - 0.9189385332046727; log N(0.5 | 0.25, 2) = -1/128 - log 2 - 0.918938...
  const auto lp = gaussian_log_likelihood(tensor({1, 0.5}, {2}, kFloat64), tensor({0, 0.25}, {2}, kFloat64),
                                          tensor({1, 2}, {2}, kFloat64))
                      .to_vector<double>();
  EXPECT_NEAR(lp[0], -1.4189385332046727, 1e-15);
  EXPECT_NEAR(lp[1], -0.0078125 - std::log(2.0) - 0.9189385332046727, 1e-15);
  EXPECT_NEAR(gaussian_log_likelihood(tensor({1}, {1}, kFloat64), zeros({1}, kFloat64)).item(), -1.4189385332046727,
              1e-15);
  EXPECT_NEAR(gaussian_log_likelihood(tensor({0.5}, {1}, kFloat64), tensor({0.25}, {1}, kFloat64), 2.0).item(),
              lp[1], 1e-15);
}

TEST(GaussianLikelihood, DimWiseWeightsByTheDetachedStd) {
  Generator gen(1);
  const Tensor x = randn({5}, gen, kFloat64), mean = randn({5}, gen, kFloat64);
  // With std == 1 the reweighting is the identity (the visual setup).
  EXPECT_EQ(gaussian_log_likelihood(x, mean, 1.0, NllReweight::DimWise).to_vector<double>(),
            gaussian_log_likelihood(x, mean, 1.0).to_vector<double>());
  // Value: log p * std; gradient wrt std: std * d log p / d std (the weight is a constant).
  Tensor s1 = (rand({5}, gen, kFloat64) + 0.5).requires_grad_();
  Tensor s2 = s1.detach().clone().requires_grad_();
  const Tensor weighted = gaussian_log_likelihood(x, mean, s1, NllReweight::DimWise);
  const Tensor plain = gaussian_log_likelihood(x, mean, s2);
  const auto wv = weighted.to_vector<double>(), pv = plain.to_vector<double>(), sv = s2.to_vector<double>();
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(wv[i], pv[i] * sv[i], 1e-14);
  sum(weighted).backward();
  sum(plain).backward();
  const auto g1 = s1.grad().to_vector<double>(), g2 = s2.grad().to_vector<double>();
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(g1[i], g2[i] * sv[i], 1e-12);
}

TEST(GaussianLikelihood, GradientsMatchFiniteDifferences) {
  Generator gen(2);
  const Tensor x = randn({2, 3}, gen, kFloat64), mean = randn({2, 3}, gen, kFloat64),
               std = rand({3}, gen, kFloat64) + 0.5;
  auto r = gradcheck([](const std::vector<Tensor>& in) { return gaussian_log_likelihood(in[0], in[1], in[2]); },
                     {x, mean, std});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GaussianLikelihood, ParsesTheOriginalsConfigNames) {
  EXPECT_EQ(parse_nll_reweight("none"), NllReweight::None);
  EXPECT_EQ(parse_nll_reweight("dim_wise"), NllReweight::DimWise);
  EXPECT_THROW(parse_nll_reweight("dimwise"), ValueError);
  EXPECT_THROW(gaussian_log_likelihood(zeros({2}), zeros({3}), 1.0), ShapeError);
  EXPECT_THROW(gaussian_log_likelihood(zeros({2}), zeros({2}), 0.0), ValueError);
}

}  // namespace
}  // namespace aime::distributions
