#include <gtest/gtest.h>

#include "autograd/aime.h"

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
