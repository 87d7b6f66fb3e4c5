#include <gtest/gtest.h>

#include <iostream>

#include "autograd/api.h"

namespace aime {
namespace {

TEST(Print, LooksLikePyTorch) {
  EXPECT_EQ(to_string(tensor({1, 2, 3, 4}, {2, 2})),
            "tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32, device=cpu)");
  EXPECT_EQ(to_string(tensor({0.5, -1.25}, {}, kFloat64)),
            "tensor([ 0.5000, -1.2500], shape=[2], dtype=float64, device=cpu)");
  EXPECT_EQ(to_string(arange(3)), "tensor([0, 1, 2], shape=[3], dtype=int64, device=cpu)");
  EXPECT_EQ(to_string(scalar_tensor(2.5)), "tensor(2.5000, shape=[], dtype=float32, device=cpu)");
  Tensor x = ones({2}).requires_grad_();
  EXPECT_NE(to_string(x).find("requires_grad=True"), std::string::npos);
  EXPECT_NE(to_string(x * 2.0).find("grad_fn=<MulBackward>"), std::string::npos);
}

TEST(Print, SummarisesLargeTensors) {
  const std::string s = to_string(arange(2000));
  EXPECT_EQ(s, "tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int64, device=cpu)");
}

}  // namespace
}  // namespace aime

namespace aime {
namespace {

// docs/architecture.md's API example ("The tensor API in ten lines"), verbatim, with its
// gradient checked against the formula dL/dW = (2 / numel) (y (1 - y^2))^T x for L = mean(tanh(x W^T)^2).
TEST(Readme, ApiExampleRunsAndItsGradientIsRight) {
  Generator gen(0);                                   // one seed fixes every random draw
  Tensor W = randn({3, 2}, gen).requires_grad_();     // a leaf: it collects a gradient
  Tensor x = tensor({1, 2, 3, 4}, {2, 2});            // data, [B, D]
  Tensor y = tanh(matmul(x, W.t()));                  // each op records its backward
  Tensor loss = mean(square(y));                      // a scalar
  loss.backward();                                    // reverse mode through the graph
  std::cout << loss << "\n" << W.grad() << "\n";      // values, shape, dtype, grad_fn
  const Tensor yd = y.detach();
  const Tensor want = matmul((yd * (1.0 - yd * yd)).t(), x) * (2.0 / 6);
  const auto got = W.grad().to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(got[i], w[i], 1e-6);
  EXPECT_NE(to_string(loss).find("grad_fn=<MulBackward>"), std::string::npos);
}

}  // namespace
}  // namespace aime
