#include "autograd/ops/index.h"

#include <gtest/gtest.h>

#include "autograd/api.h"

namespace aime {
namespace {

TEST(Index, IndexSelectGathersAndItsGradientCountsRepeats) {
  Tensor x = arange(0.0, 6.0, 1.0, kFloat64).reshape({2, 3}).requires_grad_();
  Tensor idx = from_vector<std::int64_t>({2, 0, 2});
  Tensor y = index_select(x, 1, idx);
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{2, 0, 2, 5, 3, 5}));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 0, 2, 1, 0, 2}));
  EXPECT_EQ(index_select(x.detach(), 0, from_vector<std::int64_t>({1})).to_vector<double>(),
            (std::vector<double>{3, 4, 5}));
}

TEST(Index, OneHotPlacesOnesAndKeepsTheIndexShape) {
  Tensor h = one_hot(from_vector<std::int64_t>({2, 0, 1, 2}, {2, 2}), 3);
  EXPECT_EQ(h.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(h.dtype(), kFloat32);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(one_hot(from_vector<std::int64_t>({1}), 2, kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
  EXPECT_THROW(one_hot(from_vector<std::int64_t>({-1}), 2), ValueError);
}

}  // namespace
}  // namespace aime
