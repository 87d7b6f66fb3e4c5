// End-to-end: small networks built from nn layers learn toy tasks with nn optimisers.
#include <gtest/gtest.h>

#include "autograd/api.h"
#include "nn/nn.h"

namespace aime::nn {
namespace {

// A 2-layer MLP learns XOR (not linearly separable: the hidden layer has to work).
TEST(Training, TwoLayerMLPLearnsXor) {
  Generator gen(0);
  MLPOptions o;
  o.in_features = 2;
  o.out_features = 1;
  o.hidden_size = 16;
  o.hidden_layers = 1;
  o.hidden_activation = "tanh";
  MLP mlp(o, gen);
  flatten_parameters(mlp.parameters());
  AdamOptions ao;
  ao.lr = 0.02;
  Adam adam(mlp.parameters(), ao);
  const Tensor x = tensor({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = tensor({0, 1, 1, 0}, {4, 1});
  double loss_value = 1.0;
  for (int step = 0; step < 400; ++step) {
    adam.zero_grad();
    const Tensor loss = mean(square(mlp(x) - y));
    loss.backward();
    clip_grad_norm_(mlp.parameters(), 100.0);
    adam.step();
    loss_value = loss.item();
  }
  EXPECT_LT(loss_value, 1e-3);
}

// Images of 8x8 with a horizontal or a vertical bar at a random place, plus noise; a small
// conv net tells them apart.
TEST(Training, SmallConvNetLearnsBarOrientation) {
  Generator gen(1);
  const int n = 64;
  std::vector<double> pixels(n * 64), labels(n);
  const auto u = rand({n * 2}, gen, kFloat64).to_vector<double>();
  const auto noise = randn({n * 64}, gen, kFloat64).to_vector<double>();
  for (int i = 0; i < n; ++i) {
    const bool horizontal = i % 2 == 0;
    const int pos = static_cast<int>(u[2 * i] * 8);
    labels[i] = horizontal ? 1.0 : -1.0;
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c)
        pixels[i * 64 + r * 8 + c] = ((horizontal ? r : c) == pos ? 1.0 : 0.0) + 0.1 * noise[i * 64 + r * 8 + c];
  }
  const Tensor x = tensor(pixels, {n, 1, 8, 8}), y = tensor(labels, {n, 1});
  Sequential net({std::make_shared<Conv2d>(1, 4, 3, 1, 1, true, gen), std::make_shared<ReLU>(),
                  std::make_shared<Conv2d>(4, 8, 3, 2, 1, true, gen), std::make_shared<ReLU>()});
  Linear head(8 * 4 * 4, 1, true, gen);
  std::vector<Tensor> params = net.parameters();
  for (const auto& p : head.parameters()) params.push_back(p);
  AdamOptions ao;
  ao.lr = 0.01;
  AdamW opt(params, ao);
  double loss_value = 1.0;
  for (int step = 0; step < 150; ++step) {
    opt.zero_grad();
    const Tensor logits = head(net(x).reshape({n, -1}));
    const Tensor loss = -mean(log_sigmoid(logits * y));  // logistic loss with labels +-1
    loss.backward();
    opt.step();
    loss_value = loss.item();
  }
  EXPECT_LT(loss_value, 0.05);
}

}  // namespace
}  // namespace aime::nn
