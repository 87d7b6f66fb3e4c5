#include "nn/optim/clip_grad.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "nn/flat_parameters.h"

namespace aime::nn {
namespace {

// Gradients (3, 4) and (12): global 2-norm sqrt(9 + 16 + 144) = 13; inf-norm 12.
std::vector<Tensor> params_with_grads() {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({1}).requires_grad_();
  a.set_grad(tensor({3, 4}, {2}));
  b.set_grad(tensor({12}, {1}));
  return {a, b};
}

TEST(ClipGradNorm, ReturnsTheNormBeforeClippingAndScalesToMaxNorm) {
  auto params = params_with_grads();
  const Tensor norm = clip_grad_norm_(params, 6.5);
  EXPECT_NEAR(norm.item(), 13.0, 1e-5);
  const double scale = 6.5 / (13.0 + 1e-6);
  EXPECT_NEAR(params[0].grad().to_vector<float>()[1], 4 * scale, 1e-5);
  EXPECT_NEAR(grad_norm(params).item(), 6.5, 1e-4);
}

TEST(ClipGradNorm, LeavesSmallGradientsAlone) {
  auto params = params_with_grads();
  EXPECT_NEAR(clip_grad_norm_(params, 100.0).item(), 13.0, 1e-5);
  EXPECT_EQ(params[1].grad().to_vector<float>(), (std::vector<float>{12}));
}

TEST(ClipGradNorm, OtherNorms) {
  auto params = params_with_grads();
  EXPECT_NEAR(grad_norm(params, INFINITY).item(), 12.0, 1e-6);
  EXPECT_NEAR(grad_norm(params, 1.0).item(), 19.0, 1e-5);
  EXPECT_NEAR(clip_grad_norm_(params, 6.0, INFINITY).item(), 12.0, 1e-6);
  EXPECT_NEAR(params[1].grad().item(), 6.0, 1e-4);
  EXPECT_THROW(grad_norm(params, -1.0), ValueError);
}

TEST(ClipGradNorm, PackedParametersGiveTheSameResult) {
  auto params = params_with_grads();
  flatten_parameters(params);
  ASSERT_TRUE(find_flat_parameters(params).defined());
  EXPECT_NEAR(clip_grad_norm_(params, 6.5).item(), 13.0, 1e-5);
  EXPECT_NEAR(params[0].grad().to_vector<float>()[0], 3 * 6.5 / 13.0, 1e-5);
}

TEST(ClipGradNorm, NoGradientsGiveZero) {
  Tensor a = zeros({2}).requires_grad_();
  EXPECT_EQ(clip_grad_norm_({a}, 1.0).item(), 0.0);
}

}  // namespace
}  // namespace aime::nn
