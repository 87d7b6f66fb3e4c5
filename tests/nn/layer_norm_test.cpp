#include "nn/layer_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "nn/init.h"
#include "tests/nn/module_gradcheck.h"

namespace aime::nn {
namespace {

TEST(LayerNorm, ClosedFormOnAFixedRow) {
  LayerNorm norm({3});
  // x = [1, 2, 3]: mean 2, biased variance 2/3, y = (x - 2) / sqrt(2/3 + 1e-5)
  const auto y = norm(tensor({1, 2, 3}, {1, 3}, kFloat64).to(kFloat32)).to_vector<float>();
  const double s = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5);
  EXPECT_NEAR(y[0], -s, 1e-6);
  EXPECT_NEAR(y[1], 0.0, 1e-6);
  EXPECT_NEAR(y[2], s, 1e-6);
}

TEST(LayerNorm, AffineParametersScaleAndShiftEachFeature) {
  LayerNorm norm({2});
  norm.weight.detach().copy_(tensor({2, 3}, {2}));
  norm.bias.detach().copy_(tensor({1, -1}, {2}));
  // x = [0, 4]: normalised [-1, 1] (up to eps) -> [-2 + 1, 3 - 1]
  const auto y = norm(tensor({0, 4}, {2})).to_vector<float>();
  EXPECT_NEAR(y[0], -1.0, 1e-5);
  EXPECT_NEAR(y[1], 2.0, 1e-5);
}

TEST(LayerNorm, OutputRowsHaveZeroMeanUnitVarianceOverSeveralDims) {
  Generator gen(1);
  LayerNorm norm({4, 5}, 1e-5, false);
  EXPECT_EQ(norm.num_parameters(), 0);
  const Tensor y = norm(randn({3, 4, 5}, gen, kFloat64) * 7.0 + 3.0);
  const auto m = mean(y, {1, 2}).to_vector<double>();
  const auto v = var(y, {1, 2}, 0).to_vector<double>();
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(m[i], 0.0, 1e-12);
    EXPECT_NEAR(v[i], 1.0, 1e-5);
  }
}

TEST(LayerNorm, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(2);
  LayerNorm norm({6});
  norm.to(kFloat64);
  init::normal_(norm.weight, 1.0, 0.5, gen);
  init::normal_(norm.bias, 0.0, 0.5, gen);
  const Tensor x = randn({4, 6}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(norm, [&] { return norm(x); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return norm(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(LayerNorm, ShapeMismatchNamesBothShapes) {
  LayerNorm norm({8});
  try {
    norm(zeros({2, 7}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[8], got [2, 7]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(norm.repr(), "LayerNorm((8,), eps=1e-05, elementwise_affine=True)");
}

}  // namespace
}  // namespace aime::nn
