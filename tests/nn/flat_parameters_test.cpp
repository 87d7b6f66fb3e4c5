#include "nn/flat_parameters.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "nn/mlp.h"

namespace aime::nn {
namespace {


TEST(FlatParameters, PackingKeepsValuesAndMakesViews) {
  Generator gen(1);
  const MLPOptions o = mlp_options(3, 2, 5, 2);
  MLP mlp(o, gen);
  const Tensor x = randn({4, 3}, gen);
  const auto before = mlp(x).to_vector<float>();
  const Tensor first_weight = mlp.parameters()[0];
  const FlatParameters flat = flatten_parameters(mlp.parameters());
  EXPECT_EQ(flat.data.numel(), mlp.num_parameters());
  EXPECT_EQ(mlp(x).to_vector<float>(), before);
  for (const auto& p : mlp.parameters()) {
    EXPECT_TRUE(p.shares_storage_with(flat.data));
    EXPECT_TRUE(p.grad().shares_storage_with(flat.grad));
  }
  EXPECT_TRUE(first_weight.shares_storage_with(flat.data));  // the layer's handle was rebound
  // A write through the flat buffer is seen by the layer.
  Tensor data = flat.data;
  data.fill_(0.0);
  EXPECT_EQ(max(abs(mlp(x))).item(), 0.0);
}

TEST(FlatParameters, BackwardAccumulatesIntoTheFlatGradient) {
  Generator gen(2);
  const MLPOptions o = mlp_options(3, 2, 5, 2);
  MLP packed(o, gen);
  const FlatParameters flat = flatten_parameters(packed.parameters());
  Generator gen2(2);
  MLP plain(o, gen2);
  const Tensor x = randn({4, 3}, gen);
  packed(x).sum().backward();
  plain(x).sum().backward();
  std::vector<float> expected;
  for (const auto& p : plain.parameters())
    for (float v : p.grad().to_vector<float>()) expected.push_back(v);
  EXPECT_EQ(flat.grad.to_vector<float>(), expected);
  packed.zero_grad();
  EXPECT_EQ(max(abs(flat.grad)).item(), 0.0);
}

TEST(FlatParameters, FindsThePackingUntilItIsUndone) {
  Generator gen(3);
  const MLPOptions o = mlp_options(3, 2, 5, 2);
  MLP mlp(o, gen);
  EXPECT_FALSE(find_flat_parameters(mlp.parameters()).defined());
  const FlatParameters flat = flatten_parameters(mlp.parameters());
  const FlatParameters found = find_flat_parameters(mlp.parameters());
  ASSERT_TRUE(found.defined());
  EXPECT_EQ(found.data.numel(), flat.data.numel());
  EXPECT_EQ(found.data.data_ptr(), flat.data.data_ptr());
  EXPECT_EQ(found.grad.data_ptr(), flat.grad.data_ptr());
  auto params = mlp.parameters();
  std::swap(params[0], params[1]);
  EXPECT_FALSE(find_flat_parameters(params).defined());  // out of order
  mlp.zero_grad(true);
  EXPECT_FALSE(find_flat_parameters(mlp.parameters()).defined());
}

TEST(FlatParameters, MixedDtypesAreRejected) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}, kFloat64).requires_grad_();
  EXPECT_THROW(flatten_parameters({a, b}), ValueError);
  EXPECT_THROW(flatten_parameters({}), ValueError);
}

}  // namespace
}  // namespace aime::nn
