#include "autograd/ops/shape_ops.h"

#include <gtest/gtest.h>

#include "autograd/api.h"

namespace aime {
namespace {

std::vector<double> v(const Tensor& t) { return t.to_vector<double>(); }
Tensor iota(const Shape& s) { return arange(0.0, static_cast<double>(numel_of(s)), 1.0, kFloat64).reshape(s); }

TEST(ShapeOps, ViewsRearrangeWithoutCopying) {
  Tensor x = iota({2, 3});
  EXPECT_EQ(v(x.t()), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(x.t().shares_storage_with(x));
  EXPECT_EQ(v(permute(iota({2, 3, 4}), {2, 0, 1}).select(0, 1)), (std::vector<double>{1, 5, 9, 13, 17, 21}));
  EXPECT_EQ(v(narrow(x, 1, 1, 2)), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(v(narrow(x, 1, -1, 1)), (std::vector<double>{2, 5}));
  EXPECT_EQ(v(slice(iota({7}), 0, 1, 100, 3)), (std::vector<double>{1, 4}));
  EXPECT_EQ(v(slice(iota({7}), 0, -3, 7)), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(v(select(x, 1, -1)), (std::vector<double>{2, 5}));
  EXPECT_EQ(expand(tensor({1, 2}, {2, 1}), {2, 2, 3}).strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(v(expand(tensor({1, 2}, {2, 1}), {2, -1, 2})), (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2}));
  EXPECT_EQ(squeeze(iota({1, 3, 1})).shape(), (Shape{3}));
  EXPECT_EQ(squeeze(iota({1, 3, 1}), 1).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(unsqueeze(iota({2, 3}), -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(unsqueeze(iota({2, 3}), 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(flatten(iota({2, 3, 4}), 1).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(iota({2, 3, 4})).shape(), (Shape{24}));
  EXPECT_EQ(reshape(iota({2, 6}), {3, -1}).shape(), (Shape{3, 4}));
}

TEST(ShapeOps, ReshapeOfANonContiguousViewCopies) {
  Tensor x = iota({2, 3});
  Tensor r = reshape(x.t(), {6});
  EXPECT_FALSE(r.shares_storage_with(x));
  EXPECT_EQ(v(r), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(reshape(x, {3, 2}).shares_storage_with(x));
}

TEST(ShapeOps, CatStackSplitChunk) {
  Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0;
  EXPECT_EQ(v(cat({a, b}, 1)), (std::vector<double>{0, 1, 10, 2, 3, 11}));
  EXPECT_EQ(v(cat({a, a}, 0)), (std::vector<double>{0, 1, 2, 3, 0, 1, 2, 3}));
  Tensor s = stack({a, a * 2.0}, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(v(s), (std::vector<double>{0, 0, 1, 2, 2, 4, 3, 6}));
  auto parts = split(iota({5}), 2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(v(parts[2]), (std::vector<double>{4}));
  auto chunks = chunk(iota({2, 6}), 4, 1);  // size ceil(6/4) = 2 -> 3 chunks, like torch
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(v(chunks[1]), (std::vector<double>{2, 3, 8, 9}));
}

TEST(ShapeOps, GradientsOfViewsLandInTheRightPlaces) {
  Tensor x = iota({2, 3}).requires_grad_();
  (sum(narrow(x, 1, 1, 2) * 2.0) + sum(select(x, 0, 0) * 3.0)).backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{3, 5, 5, 0, 2, 2}));
  Tensor y = iota({3}).requires_grad_();
  sum(cat({y, slice(y, 0, 0, 3, 2)}, 0)).backward();
  EXPECT_EQ(v(y.grad()), (std::vector<double>{2, 1, 2}));
}

}  // namespace
}  // namespace aime
