#include "algorithms/training_step.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "nn/optim/clip_grad.h"

namespace aime::algorithms {
namespace {

// The shared step equals the loop every trainer wrote before it: zero_grad, backward, clip,
// Adam, bit for bit.
TEST(TrainingStep, EqualsTheHandWrittenLoop) {
  Generator gen(1);
  const Tensor x = randn({8, 3}, gen), y = randn({8, 1}, gen);
  const Tensor w0 = randn({3, 1}, gen);
  Tensor a = w0.clone().requires_grad_(), b = w0.clone().requires_grad_();
  nn::AdamOptions adam;
  adam.lr = 0.1;
  TrainingStep step({{"w", {a}, adam, 0.5}});
  nn::Adam reference({b}, adam);
  for (int i = 0; i < 5; ++i) {
    const TrainingStep::Result r = step.run([&] { return mean(square(matmul(x, a) - y)); });
    reference.zero_grad();
    const Tensor loss = mean(square(matmul(x, b) - y));
    loss.backward();
    const double norm = nn::clip_grad_norm_({b}, 0.5).item();
    reference.step();
    EXPECT_EQ(r.loss.item(), loss.item());
    ASSERT_EQ(r.grad_norms.size(), 1u);
    EXPECT_EQ(r.grad_norms[0], norm);
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  }
}

// A NaN loss, or an infinite gradient norm in any clipped group, stops the step before any
// parameter moves (the second group's gradient is checked before the first group's update).
TEST(TrainingStep, NonFiniteValuesStopTheStepBeforeAnyUpdate) {
  Tensor a = full({2}, 1.0).requires_grad_(), b = full({2}, 0.0).requires_grad_();
  TrainingStep step({{"a", {a}, {}, 100.0}, {"b", {b}, {}, 100.0}});
  EXPECT_THROW(step.run([&] { return sum(a) * std::nan(""); }), NonFiniteError);
  try {
    step.run([&] { return sum(a) + sum(sqrt(b)); });  // d sqrt(b) / db at 0: infinite
    ADD_FAILURE() << "no error";
  } catch (const NonFiniteError& e) {
    EXPECT_NE(std::string(e.what()).find("gradient norm of 'b'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{0, 0}));
}

// Several groups in one step: each its own learning rate and clip, the hook called once per
// group between backward and the update (it sees the gradient before the clip).
TEST(TrainingStep, GroupsAndTheHookBetweenBackwardAndStep) {
  Tensor p = ones({2}).requires_grad_(), q = ones({3}).requires_grad_();
  nn::AdamOptions fast, slow;
  fast.lr = 0.1;
  slow.lr = 0.01;
  TrainingStep step({{"p", {p}, fast, 0.0}, {"q", {q}, slow, 1e-3}});
  std::vector<std::string> seen;
  std::vector<double> norms_in_hook;
  step.set_gradient_hook([&](const OptimizerGroup& g) {
    seen.push_back(g.name);
    norms_in_hook.push_back(std::sqrt(sum(square(g.parameters[0].grad())).item()));
  });
  const auto r = step.run([&] { return sum(p * 3.0) + sum(q * 4.0); });
  EXPECT_EQ(seen, (std::vector<std::string>{"p", "q"}));
  EXPECT_NEAR(norms_in_hook[1], 4.0 * std::sqrt(3.0), 1e-5);  // before the clip
  EXPECT_TRUE(std::isnan(r.grad_norms[0]));                   // p does not clip
  EXPECT_NEAR(r.grad_norms[1], 4.0 * std::sqrt(3.0), 1e-5);
  // Adam's first step moves every weight by lr (the sign of its gradient), whatever the clip.
  EXPECT_NEAR(p.to_vector<float>()[0], 1.0 - 0.1, 1e-6);
  EXPECT_NEAR(q.to_vector<float>()[0], 1.0 - 0.01, 1e-6);
  // The next step starts from zeroed gradients: the same loss gives the same gradient.
  seen.clear();
  norms_in_hook.clear();
  step.run([&] { return sum(p * 3.0) + sum(q * 4.0); });
  EXPECT_NEAR(norms_in_hook[0], 3.0 * std::sqrt(2.0), 1e-5);
  EXPECT_THROW(TrainingStep({}), ValueError);
  EXPECT_THROW(step.run([&] { return p * 1.0; }), ValueError);  // not a scalar
}

// The noise rule: its own stream, apart from the batches' (seeded with the seed itself), and
// the same for the same seed.
TEST(TrainingStep, NoiseStreamIsFixedBySeedAndApartFromTheBatches) {
  Generator a = training_noise(7), b = training_noise(7), batches(7);
  const auto x = randn({4}, a).to_vector<float>();
  EXPECT_EQ(x, randn({4}, b).to_vector<float>());
  EXPECT_NE(x, randn({4}, batches).to_vector<float>());
  EXPECT_EQ(training_noise(7).seed(), 7ull ^ 0x5DEECE66Dull);  // the rule checkpoints rely on
}

}  // namespace
}  // namespace aime::algorithms
