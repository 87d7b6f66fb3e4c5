#include "autograd/autograd.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime {
namespace {

std::vector<double> grad_of(const Tensor& t) { return t.grad().to_vector<double>(); }

TEST(Autograd, ScalarBackwardGivesTheGradient) {
  Tensor x = tensor({1, 2, 3}, {}, kFloat64).requires_grad_();
  Tensor y = sum(x * x * x);  // dy/dx = 3 x^2
  y.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{3, 12, 27}));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_STREQ(y.grad_fn()->name, "SumBackward");
}

TEST(Autograd, TensorUsedTwiceAccumulatesAndDiamondsSum) {
  Tensor x = tensor({2.0}, {}, kFloat64).requires_grad_();
  Tensor a = x * 3.0, b = exp(x);
  Tensor y = sum(a * b + a);  // y = 3x e^x + 3x ; dy/dx = 3 e^x + 3x e^x + 3
  y.backward();
  EXPECT_NEAR(grad_of(x)[0], 3 * std::exp(2.0) + 6 * std::exp(2.0) + 3, 1e-12);
}

TEST(Autograd, LeafGradsAccumulateAcrossBackwardCalls) {
  Tensor w = tensor({1, -1}, {}, kFloat64).requires_grad_();
  sum(w * 2.0).backward();
  sum(w * 3.0).backward();
  EXPECT_EQ(grad_of(w), (std::vector<double>{5, 5}));
  w.set_grad(Tensor());
  sum(w).backward();
  EXPECT_EQ(grad_of(w), (std::vector<double>{1, 1}));
}

TEST(Autograd, NonScalarNeedsAnOutputGradient) {
  Tensor x = ones({3}, kFloat64).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_THROW(y.backward(), AutogradError);
  y.backward(tensor({1, 10, 100}, {}, kFloat64));
  EXPECT_EQ(grad_of(x), (std::vector<double>{2, 20, 200}));
  EXPECT_THROW(y.backward(ones({4}, kFloat64)), AutogradError);  // wrong shape
}

TEST(Autograd, GraphIsFreedAfterBackwardUnlessRetained) {
  Tensor x = ones({2}, kFloat64).requires_grad_();
  Tensor y = sum(exp(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  EXPECT_NEAR(grad_of(x)[0], 2 * std::exp(1.0), 1e-12);
  try {
    y.backward();
    FAIL() << "a second backward through a freed graph must throw";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos);
  }
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = ones({2}).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
  EXPECT_TRUE(is_grad_enabled());
}

TEST(Autograd, DetachCutsTheGraphButSharesData) {
  Tensor x = ones({2}).requires_grad_();
  Tensor d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{2, 2}));
  Tensor y = sum(x * d);  // d is a constant
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2}));
}

TEST(Autograd, StraightThroughEstimator) {
  // y = a + (b - a).detach(): the value of b, the gradient of a.
  Tensor a = tensor({0.3, 0.6}, {}, kFloat64).requires_grad_();
  Tensor b = where(a > 0.5, ones_like(a), zeros_like(a));  // a hard, non-differentiable step
  Tensor y = a + (b - a).detach();
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{0, 1}));
  sum(y * tensor({2, 3}, {}, kFloat64)).backward();
  EXPECT_EQ(grad_of(a), (std::vector<double>{2, 3}));
}

TEST(Autograd, BackwardFromALeafAndErrorsWithoutGrad) {
  Tensor x = ones({1}, kFloat64).requires_grad_();
  x.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{1}));
  EXPECT_THROW(ones({1}).backward(), AutogradError);
}

TEST(Autograd, GradsFlowOnlyWhereNeeded) {
  Tensor x = randn({3, 4}, kFloat64);  // an input: no grad wanted
  Tensor w = randn({5, 4}, kFloat64).requires_grad_();
  sum(linear(x, w)).backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_TRUE(w.grad().defined());
}

// Trains a small MLP for 1000 steps and checks that neither tensor memory nor the number
// of live graph nodes grows: the graph of each step is freed by its backward.
TEST(Autograd, MemoryStaysFlatOver1000TrainingIterations) {
  Generator gen(0);
  Tensor w1 = (randn({32, 1}, gen) * 0.5).requires_grad_(), b1 = zeros({32}).requires_grad_();
  Tensor w2 = (randn({1, 32}, gen) * 0.2).requires_grad_(), b2 = zeros({1}).requires_grad_();
  const Tensor x = arange(-2.0, 2.0, 0.0625).reshape({-1, 1});
  const Tensor y = x * x * x * 0.25 - x;  // a smooth target
  std::int64_t bytes_at_10 = 0, nodes_at_10 = 0, bytes_at_999 = 0, nodes_at_999 = 0;
  double first_loss = 0, last_loss = 0;
  for (int it = 0; it < 1000; ++it) {
    Tensor loss = mean(square(linear(tanh(linear(x, w1, b1)), w2, b2) - y));
    loss.backward();
    {
      NoGradGuard no_grad;
      for (Tensor* p : {&w1, &b1, &w2, &b2}) {
        p->add_(p->grad(), -0.1);
        p->grad().zero_();
      }
    }
    if (it == 0) first_loss = loss.item();
    last_loss = loss.item();
    if (it == 10) {
      bytes_at_10 = memory_stats().allocated_bytes;
      nodes_at_10 = live_node_count();
    }
    if (it == 999) {
      bytes_at_999 = memory_stats().allocated_bytes;
      nodes_at_999 = live_node_count();
    }
  }
  EXPECT_EQ(bytes_at_999, bytes_at_10);
  EXPECT_EQ(nodes_at_999, nodes_at_10);
  EXPECT_LT(last_loss, 0.5 * first_loss);  // and it did learn
}

// Large activations come from the allocator's cache after the first step: the system
// allocator is not called again, and empty_cache() hands the blocks back.
TEST(Autograd, SteadyStateTrainingStepsMakeNoSystemAllocations) {
  Generator gen(1);
  Tensor w = (randn({256, 256}, gen) * 0.05).requires_grad_();
  const Tensor x = randn({512, 256}, gen);
  std::int64_t allocs_after_warmup = 0;
  for (int it = 0; it < 20; ++it) {
    sum(square(tanh(matmul(x, w)))).backward();
    NoGradGuard no_grad;
    w.add_(w.grad(), -0.01);
    w.grad().zero_();
    if (it == 2) allocs_after_warmup = memory_stats().num_allocs;
  }
  const MemoryStats s = memory_stats();
  EXPECT_EQ(s.num_allocs, allocs_after_warmup);
  EXPECT_GE(s.reserved_bytes, s.allocated_bytes);
  empty_cache();
  EXPECT_LT(memory_stats().reserved_bytes, s.reserved_bytes);
}

// Views of an intermediate (narrow, slice, select) add their gradient into one pending
// buffer of the input's shape instead of padding each to a dense tensor: the same numbers,
// whatever mix of views, whole-tensor uses and leaves feeds the input.
TEST(Autograd, ManyViewsOfOneIntermediateSumTheirGradients) {
  Generator gen(3);
  const std::int64_t T = 7, B = 3, D = 4;
  Tensor x = randn({T, B, D}, gen, kFloat64).requires_grad_();
  Tensor w = randn({T, B, D}, gen, kFloat64);
  auto loss_of = [&](bool views) {
    const Tensor y = x * 2.0;  // an intermediate: its views take the in-place path
    Tensor loss = sum(y * 0.5);  // a whole-tensor use of y as well
    for (std::int64_t t = 0; t < T; ++t) {
      const Tensor part = views ? y.select(0, t) : index_select(y, 0, tensor({static_cast<double>(t)}, {1}, kInt64)).squeeze(0);
      loss = loss + sum(square(part) * w.select(0, t));
    }
    loss = loss + sum(y.narrow(1, 1, 2)) + sum(slice(y, 2, 0, D, 2)) + sum(x.narrow(0, 2, 3));  // a leaf view too
    return loss;
  };
  loss_of(true).backward();
  const std::vector<double> fast = grad_of(x);
  x.set_grad(Tensor());
  loss_of(false).backward();
  const std::vector<double> reference = grad_of(x);
  ASSERT_EQ(fast.size(), reference.size());
  for (std::size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], reference[i], 1e-12) << i;
  // The analytic value at one element: d/dx [y/2 + sum_t y_t^2 w_t + ...] with y = 2x.
  const double x0 = x.to_vector<double>()[0], w0 = w.to_vector<double>()[0];
  // (the narrow over b = 1, 2 and the leaf view over t = 2..4 miss it; the even-d slice has it)
  EXPECT_NEAR(fast[0], 1.0 + 2.0 * (2.0 * x0) * w0 * 2.0 + 2.0, 1e-12);
}

// A gradient a closure returned for two inputs (add's) must not be written in place when
// one of them later receives more gradient.
TEST(Autograd, SharedGradientsAreNotWrittenInPlace) {
  Tensor x = tensor({1.0, 2.0, 3.0}, {}, kFloat64).requires_grad_();
  const Tensor a = x * 1.0, b = x * 1.0;
  const Tensor s = a + b;                   // AddBackward hands the same g to a and b
  const Tensor loss = sum(s) + sum(a.narrow(0, 0, 2) * 10.0) + sum(b * 100.0);
  loss.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{112, 112, 102}));
}

}  // namespace
}  // namespace aime
