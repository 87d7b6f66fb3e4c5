#include "distributions/std_param.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime::distributions {
namespace {

TEST(StdParam, SoftplusAndSigmoidStdsAtFixedPoints) {
  const Tensor x = tensor({0, 2}, {2}, kFloat64);
  const auto s = softplus_std(x).to_vector<double>();
  EXPECT_NEAR(s[0], std::log(2.0) + 1e-6, 1e-15);
  EXPECT_NEAR(s[1], std::log1p(std::exp(2.0)) + 1e-6, 1e-15);
  // 2 sigmoid(x / 2) + 0.1: at 0 -> 1.1; at 2 -> 2 / (1 + e^-1) + 0.1
  const auto g = sigmoid_std(x).to_vector<double>();
  EXPECT_NEAR(g[0], 1.1, 1e-15);
  EXPECT_NEAR(g[1], 2.0 / (1.0 + std::exp(-1.0)) + 0.1, 1e-15);
  // Bounded in (min_std, 2 + min_std) whatever the network outputs.
  const auto extreme = sigmoid_std(tensor({-1000, 1000}, {2}, kFloat64)).to_vector<double>();
  EXPECT_NEAR(extreme[0], 0.1, 1e-12);
  EXPECT_NEAR(extreme[1], 2.1, 1e-12);
}

TEST(StdParam, SplitMeanStdHalvesTheLastDim) {
  const auto [mean, raw] = split_mean_std(arange(0, 12, 1, kFloat32).reshape({2, 6}));
  EXPECT_EQ(mean.shape(), (Shape{2, 3}));
  EXPECT_EQ(mean.to_vector<float>(), (std::vector<float>{0, 1, 2, 6, 7, 8}));
  EXPECT_EQ(raw.to_vector<float>(), (std::vector<float>{3, 4, 5, 9, 10, 11}));
  EXPECT_THROW(split_mean_std(zeros({2, 5})), ShapeError);
}

}  // namespace
}  // namespace aime::distributions
