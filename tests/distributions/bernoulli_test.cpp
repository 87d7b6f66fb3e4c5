#include "distributions/bernoulli.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"

namespace aime::distributions {
namespace {

// logits 0 -> p = 1/2: log p(1) = log p(0) = -log 2, H = log 2.
// logits log 3 -> p = 3/4: log p(1) = log 3/4, log p(0) = log 1/4,
// H = -(3/4 log 3/4 + 1/4 log 1/4) = 0.5623351446188083.
TEST(Bernoulli, LogProbAndEntropyAtFixedPoints) {
  Bernoulli b(tensor({0, std::log(3.0)}, {2}, kFloat64));
  const auto lp1 = b.log_prob(ones({2}, kFloat64)).to_vector<double>();
  const auto lp0 = b.log_prob(zeros({2}, kFloat64)).to_vector<double>();
  EXPECT_NEAR(lp1[0], -std::log(2.0), 1e-15);
  EXPECT_NEAR(lp0[0], -std::log(2.0), 1e-15);
  EXPECT_NEAR(lp1[1], std::log(0.75), 1e-15);
  EXPECT_NEAR(lp0[1], std::log(0.25), 1e-15);
  const auto h = b.entropy().to_vector<double>();
  EXPECT_NEAR(h[0], std::log(2.0), 1e-15);
  EXPECT_NEAR(h[1], 0.5623351446188083, 1e-15);
  EXPECT_NEAR(b.mean().to_vector<double>()[1], 0.75, 1e-15);
  EXPECT_NEAR(b.variance().to_vector<double>()[1], 0.1875, 1e-15);
  EXPECT_EQ(b.mode().to_vector<double>(), (std::vector<double>{0, 1}));
}

TEST(Bernoulli, SampleFrequencyMatchesTheProbability) {
  Generator gen(1);
  Bernoulli b(tensor({std::log(3.0)}, {1}));
  const std::int64_t n = 100000;
  const double freq = mean(b.sample(gen, {n})).item();
  EXPECT_NEAR(freq, 0.75, 5 * std::sqrt(0.1875 / n));
  EXPECT_THROW(b.rsample(gen), ValueError);
  EXPECT_FALSE(b.has_rsample());
}

TEST(Bernoulli, GradientOfLogProbAndEntropy) {
  Generator gen(2);
  const Tensor logits = randn({4}, gen, kFloat64) * 3.0;
  const Tensor x = tensor({0, 1, 1, 0}, {4}, kFloat64);
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return Bernoulli(in[0]).log_prob(x); }, {logits});
  EXPECT_TRUE(r.ok) << r.message;
  r = gradcheck([](const std::vector<Tensor>& in) { return Bernoulli(in[0]).entropy(); }, {logits});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Bernoulli, LargeLogitsStayFinite) {
  Bernoulli b(tensor({100, -100}, {2}));
  const auto lp = b.log_prob(tensor({0, 1}, {2})).to_vector<float>();
  EXPECT_NEAR(lp[0], -100.0f, 1e-3);
  EXPECT_NEAR(lp[1], -100.0f, 1e-3);
  EXPECT_TRUE(std::isfinite(sum(b.entropy()).item()));
}

}  // namespace
}  // namespace aime::distributions
