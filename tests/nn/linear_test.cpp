#include "nn/linear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "tests/nn/module_gradcheck.h"

namespace aime::nn {
namespace {

TEST(Linear, ForwardMatchesHandComputation) {
  Linear fc(2, 3);
  fc.weight.detach().copy_(tensor({1, 2, 3, 4, 5, 6}, {3, 2}));
  fc.bias.detach().copy_(tensor({0.5, -1, 0}, {3}));
  // x = [1, -1]: W x = [1-2, 3-4, 5-6] = [-1, -1, -1]; + b = [-0.5, -2, -1]
  const auto y = fc.forward(tensor({1, -1}, {1, 2})).to_vector<float>();
  EXPECT_EQ(y, (std::vector<float>{-0.5f, -2.f, -1.f}));
}

TEST(Linear, AppliesToTheLastDimOfAnyBatchShape) {
  Linear fc(4, 5);
  Generator gen(1);
  const Tensor x = randn({2, 3, 4}, gen);
  const Tensor y = fc(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  EXPECT_NEAR((fc(x.select(0, 1).select(0, 2)) - y.select(0, 1).select(0, 2)).sum().item(), 0.0, 1e-6);
}

TEST(Linear, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(2);
  Linear fc(3, 2, true, gen);
  fc.to(kFloat64);
  const Tensor x = randn({4, 3}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(fc, [&] { return fc(x); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return fc(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Linear, DefaultInitIsPyTorchsUniformBound) {
  Generator gen(3);
  Linear fc(400, 300, true, gen);
  const double bound = 1.0 / std::sqrt(400.0);
  const auto w = fc.weight.to_vector<float>();
  double mx = 0, sq = 0;
  for (float v : w) {
    mx = std::max(mx, static_cast<double>(std::fabs(v)));
    sq += v * v;
  }
  EXPECT_LE(mx, bound);
  EXPECT_GT(mx, 0.99 * bound);
  // U(-b, b) has variance b^2 / 3.
  EXPECT_NEAR(sq / w.size(), bound * bound / 3, 0.02 * bound * bound / 3);
  EXPECT_LE(max(abs(fc.bias)).item(), bound);
}

TEST(Linear, SameSeedSameWeights) {
  Generator a(5), b(5);
  Linear x(8, 8, true, a), y(8, 8, true, b);
  EXPECT_EQ(x.weight.to_vector<float>(), y.weight.to_vector<float>());
}

TEST(Linear, BadInputNamesBothShapes) {
  Linear fc(3, 2, false);
  EXPECT_FALSE(fc.bias.defined());
  EXPECT_EQ(fc.num_parameters(), 6);
  try {
    fc(zeros({2, 4}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[..., 3], got [2, 4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Linear(0, 2), ValueError);
}

}  // namespace
}  // namespace aime::nn
