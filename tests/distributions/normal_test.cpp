#include "distributions/normal.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"

namespace aime::distributions {
namespace {

// Reference values by hand: log N(0 | 0, 1) = -log(2 pi)/2 = -0.9189385332046727;
// log N(2 | 1, 2) = -1/8 - log 2 - 0.9189385332046727 = -1.7370857137646180;
// H(N(., 2)) = 1/2 + 0.9189385332046727 + log 2 = 2.1120857137646180.
TEST(Normal, LogProbAndEntropyAtFixedPoints) {
  Normal n(tensor({0, 1}, {2}, kFloat64), tensor({1, 2}, {2}, kFloat64));
  const auto lp = n.log_prob(tensor({0, 2}, {2}, kFloat64)).to_vector<double>();
  EXPECT_NEAR(lp[0], -0.9189385332046727, 1e-15);
  EXPECT_NEAR(lp[1], -1.7370857137646180, 1e-15);
  const auto h = n.entropy().to_vector<double>();
  EXPECT_NEAR(h[0], 1.4189385332046727, 1e-15);
  EXPECT_NEAR(h[1], 2.1120857137646180, 1e-15);
  EXPECT_EQ(n.mean().to_vector<double>(), (std::vector<double>{0, 1}));
  EXPECT_EQ(n.mode().to_vector<double>(), (std::vector<double>{0, 1}));
  EXPECT_EQ(n.variance().to_vector<double>(), (std::vector<double>{1, 4}));
  EXPECT_EQ(n.stddev().to_vector<double>(), (std::vector<double>{1, 2}));
}

TEST(Normal, SampleMomentsMatchForAFixedSeed) {
  Generator gen(1);
  Normal n(tensor({-1, 3}, {2}, kFloat64), tensor({0.5, 2}, {2}, kFloat64));
  const std::int64_t samples = 100000;
  const Tensor x = n.sample(gen, {samples});
  ASSERT_EQ(x.shape(), (Shape{samples, 2}));
  const auto m = mean(x, 0).to_vector<double>();
  const auto v = var(x, 0).to_vector<double>();
  // Tolerances: 5 standard errors (sd / sqrt(n) for the mean, ~ var sqrt(2 / n) for the variance).
  EXPECT_NEAR(m[0], -1.0, 5 * 0.5 / std::sqrt(samples));
  EXPECT_NEAR(m[1], 3.0, 5 * 2.0 / std::sqrt(samples));
  EXPECT_NEAR(v[0], 0.25, 5 * 0.25 * std::sqrt(2.0 / samples));
  EXPECT_NEAR(v[1], 4.0, 5 * 4.0 * std::sqrt(2.0 / samples));
  EXPECT_FALSE(x.requires_grad());
}

TEST(Normal, GradientsThroughRsampleWithFixedNoiseAndLogProb) {
  Generator gen(2);
  const Tensor loc = randn({3}, gen, kFloat64), scale = rand({3}, gen, kFloat64) + 0.5;
  auto via_rsample = [](const std::vector<Tensor>& in) {
    Generator noise(7);  // the same eps on every call
    return Normal(in[0], in[1]).rsample(noise, {4});
  };
  auto r = gradcheck(via_rsample, {loc, scale});
  EXPECT_TRUE(r.ok) << r.message;
  const Tensor x = randn({3}, gen, kFloat64);
  r = gradcheck([](const std::vector<Tensor>& in) { return Normal(in[0], in[1]).log_prob(in[2]); }, {loc, scale, x});
  EXPECT_TRUE(r.ok) << r.message;
  r = gradcheck([](const std::vector<Tensor>& in) { return Normal(in[0], in[1]).entropy(); }, {loc, scale});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Normal, BroadcastsLocAndScaleAndSamplesTheFullShape) {
  Generator gen(3);
  Normal n(zeros({3, 1}), ones({4}));
  EXPECT_EQ(n.batch_shape(), (Shape{3, 4}));
  EXPECT_TRUE(n.event_shape().empty());
  EXPECT_EQ(n.rsample(gen, {2}).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(n.log_prob(zeros({3, 4})).shape(), (Shape{3, 4}));
}

TEST(Normal, DetachCutsTheGraph) {
  Tensor loc = zeros({2}).requires_grad_();
  Normal n(loc, ones({2}));
  EXPECT_TRUE(n.rsample().requires_grad());
  EXPECT_FALSE(n.detach()->rsample().requires_grad());
  EXPECT_FALSE(n.sample().requires_grad());
}

TEST(Normal, BadParametersFailClearly) {
  EXPECT_THROW(Normal(zeros({2}), ones({2}, kFloat64)), DTypeError);
  EXPECT_THROW(Normal(zeros({2}), ones({3})), ShapeError);
  EXPECT_THROW(Normal(zeros({2}, kInt64), ones({2})), DTypeError);
}

}  // namespace
}  // namespace aime::distributions
