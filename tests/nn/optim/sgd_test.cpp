#include "nn/optim/sgd.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime::nn {
namespace {

const std::vector<double> kA = {1.0, 4.0, 0.25};
const std::vector<double> kT = {0.3, -1.2, 2.0};
const std::vector<double> kStart = {1.0, 0.5, -0.5};

// torch.optim.SGD's update in double (the reference).
std::vector<double> reference_sgd(std::vector<double> w, const SGDOptions& o, int steps) {
  std::vector<double> b(w.size(), 0.0);
  for (int t = 1; t <= steps; ++t)
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = kA[i] * (w[i] - kT[i]);
      if (o.maximize) g = -g;
      g += o.weight_decay * w[i];
      if (o.momentum != 0) {
        b[i] = t == 1 ? g : o.momentum * b[i] + (1 - o.dampening) * g;
        g = o.nesterov ? g + o.momentum * b[i] : b[i];
      }
      w[i] -= o.lr * g;
    }
  return w;
}

void expect_matches(const SGDOptions& o) {
  Tensor w = tensor(kStart, {3}, kFloat64).requires_grad_();
  SGD sgd({w}, o);
  for (int t = 0; t < 6; ++t) {
    sgd.zero_grad();
    (0.5 * sum(tensor(kA, {3}, kFloat64) * square(w - tensor(kT, {3}, kFloat64)))).backward();
    sgd.step();
  }
  const auto want = reference_sgd(kStart, o, 6);
  const auto got = w.to_vector<double>();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
}

TEST(SGD, StepsMatchTheUpdateEquations) {
  SGDOptions o;
  EXPECT_EQ(o.lr, 1e-3);  // PyTorch's default
  o.lr = 0.1;
  expect_matches(o);
  o.momentum = 0.9;
  expect_matches(o);
  o.dampening = 0.3;
  o.weight_decay = 0.01;
  expect_matches(o);
  o.dampening = 0;
  o.nesterov = true;
  expect_matches(o);
  o.maximize = true;
  expect_matches(o);
}

TEST(SGD, NesterovNeedsMomentum) {
  Tensor w = zeros({2}).requires_grad_();
  SGDOptions o;
  o.nesterov = true;
  EXPECT_THROW(SGD({w}, o), ValueError);
}

TEST(SGD, ParametersWithoutGradientsAreSkipped) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
  SGDOptions o;
  o.lr = 0.5;
  SGD sgd({a, b}, o);
  sum(a * 2.0).backward();
  sgd.step();
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 1}));
}

}  // namespace
}  // namespace aime::nn
