#include "distributions/one_hot_categorical.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"

namespace aime::distributions {
namespace {

// logits log([1, 2, 5]) -> p = [1/8, 2/8, 5/8]; H = -sum p log p = 0.9002560326...
TEST(OneHotCategorical, LogProbAndEntropyAtFixedPoints) {
  OneHotCategorical c(log(tensor({1, 2, 5}, {3}, kFloat64)));
  EXPECT_EQ(c.event_shape(), (Shape{3}));
  EXPECT_TRUE(c.batch_shape().empty());
  EXPECT_NEAR(c.log_prob(tensor({0, 0, 1}, {3}, kFloat64)).item(), std::log(5.0 / 8.0), 1e-15);
  const double h = -(0.125 * std::log(0.125) + 0.25 * std::log(0.25) + 0.625 * std::log(0.625));
  EXPECT_NEAR(c.entropy().item(), h, 1e-15);
  EXPECT_EQ(c.mode().to_vector<double>(), (std::vector<double>{0, 0, 1}));
  OneHotCategorical uniform(zeros({2, 4}));
  const auto hu = uniform.entropy().to_vector<float>();
  EXPECT_NEAR(hu[1], std::log(4.0), 1e-6);
}

TEST(OneHotCategorical, SampleFrequenciesMatchTheProbabilities) {
  Generator gen(1);
  OneHotCategorical c(log(tensor({1, 2, 5}, {3}, kFloat64)));
  const std::int64_t n = 100000;
  const Tensor x = c.sample(gen, {n});
  ASSERT_EQ(x.shape(), (Shape{n, 3}));
  EXPECT_EQ(sum(x).item(), static_cast<double>(n));  // one-hot rows
  const auto freq = mean(x, 0).to_vector<double>();
  const double p[] = {0.125, 0.25, 0.625};
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(freq[k], p[k], 5 * std::sqrt(p[k] * (1 - p[k]) / n));
}

TEST(OneHotCategorical, StraightThroughRsampleHasTheGradientOfTheProbabilities) {
  Generator gen(2);
  const Tensor logits = randn({2, 3}, gen, kFloat64);
  Tensor l1 = logits.clone().requires_grad_(), l2 = logits.clone().requires_grad_();
  const Tensor w = randn({2, 3}, gen, kFloat64);
  Generator noise(3);
  const Tensor x = OneHotCategorical(l1).rsample(noise);
  EXPECT_EQ(sum(x).item(), 2.0);  // the forward value is one-hot
  sum(x * w).backward();
  sum(softmax(l2, -1) * w).backward();
  const auto g1 = l1.grad().to_vector<double>(), g2 = l2.grad().to_vector<double>();
  for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g2[i], 1e-15);
}

TEST(OneHotCategorical, GradientOfLogProbAndEntropy) {
  Generator gen(4);
  const Tensor logits = randn({2, 4}, gen, kFloat64);
  const Tensor x = tensor({0, 1, 0, 0, 0, 0, 0, 1}, {2, 4}, kFloat64);
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return OneHotCategorical(in[0]).log_prob(x); }, {logits});
  EXPECT_TRUE(r.ok) << r.message;
  r = gradcheck([](const std::vector<Tensor>& in) { return OneHotCategorical(in[0]).entropy(); }, {logits});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(OneHotCategorical, WrongEventSizeFailsClearly) {
  OneHotCategorical c(zeros({4}));
  EXPECT_THROW(c.log_prob(zeros({3})), ShapeError);
  EXPECT_THROW(OneHotCategorical(zeros({0})), ValueError);
}

}  // namespace
}  // namespace aime::distributions
