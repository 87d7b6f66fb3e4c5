#include "algorithms/frame_stack.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime::algorithms {
namespace {

FrameStackConfig vector_config(std::int64_t stack) {
  FrameStackConfig c;
  c.inputs = {{"position", {2}}, {"velocity", {1}}};
  c.stack = stack;
  c.action_size = 2;
  c.hidden_size = 16;
  return c;
}

TEST(FrameStack, EmbedStackConcatenatesFramesOldestFirstPerBatchRow) {
  Generator gen(0);
  auto encoder = make_frame_encoder(vector_config(3), gen);
  // frames[k, b] = (10 k + b, 10 k + b + 0.5 | 100 k + b)
  std::vector<double> pos, vel;
  for (int k = 0; k < 3; ++k)
    for (int b = 0; b < 2; ++b) {
      pos.push_back(10 * k + b);
      pos.push_back(10 * k + b + 0.5);
      vel.push_back(100 * k + b);
    }
  const Tensor e = embed_stack(*encoder, {{"position", tensor(pos, {3, 2, 2})}, {"velocity", tensor(vel, {3, 2, 1})}});
  ASSERT_EQ(e.shape(), (Shape{2, 9}));
  EXPECT_EQ(e.select(0, 1).to_vector<float>(),
            (std::vector<float>{1, 1.5, 1, 11, 11.5, 101, 21, 21.5, 201}));
}

TEST(FrameStack, PolicyActsInTheOpenUnitBoxAndItsConfigRoundTrips) {
  Generator gen(1);
  FrameStackPolicy policy(vector_config(2), gen);
  const Tensor a = policy.forward({{"position", randn({2, 5, 2}, gen) * 10.0}, {"velocity", randn({2, 5, 1}, gen)}});
  ASSERT_EQ(a.shape(), (Shape{5, 2}));
  for (float v : a.to_vector<float>()) EXPECT_LT(std::fabs(v), 1.0f);
  const FrameStackConfig back = FrameStackConfig::from_metadata(policy.config().to_metadata("p"), "p");
  EXPECT_EQ(back.stack, 2);
  EXPECT_EQ(back.inputs.size(), 2u);
  EXPECT_EQ(back.inputs[0].shape, (Shape{2}));
  nn::Metadata bad = policy.config().to_metadata("p");
  bad["p.stack"] = "zero";
  EXPECT_THROW(FrameStackConfig::from_metadata(bad, "p"), ValueError);
  bad.erase("p.stack");
  try {
    FrameStackConfig::from_metadata(bad, "p");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("p.stack"), std::string::npos) << e.what();
  }
}

TEST(FrameStack, ActorRepeatsTheFirstObservationUntilTheStackIsFull) {
  Generator gen(2);
  FrameStackPolicy policy(vector_config(3), gen);
  FrameStackActor actor(policy, "bc");
  auto obs = [](double x) {
    envs::Observation o;
    o.sensors = {{"position", {x, -x}}, {"velocity", {2 * x}}};
    return o;
  };
  auto stack = [](std::vector<double> xs) {
    std::vector<double> pos, vel;
    for (double x : xs) {
      pos.push_back(x);
      pos.push_back(-x);
      vel.push_back(2 * x);
    }
    const auto K = static_cast<std::int64_t>(xs.size());
    return Batch{{"position", tensor(pos, {K, 1, 2})}, {"velocity", tensor(vel, {K, 1, 1})}};
  };
  auto expect_action = [&](const std::vector<double>& got, const Batch& frames) {
    const auto want = policy.forward(frames).to_vector<float>();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_NEAR(got[0], want[0], 1e-6);
    EXPECT_NEAR(got[1], want[1], 1e-6);
  };
  actor.reset(0);
  expect_action(actor.act(obs(0.1)), stack({0.1, 0.1, 0.1}));
  expect_action(actor.act(obs(0.2)), stack({0.1, 0.1, 0.2}));
  expect_action(actor.act(obs(0.3)), stack({0.1, 0.2, 0.3}));
  expect_action(actor.act(obs(0.4)), stack({0.2, 0.3, 0.4}));
  actor.reset(1);  // a new episode forgets the old frames
  expect_action(actor.act(obs(0.5)), stack({0.5, 0.5, 0.5}));
}

TEST(FrameStack, ForwardModelPredictsEachOutputAndItsLossIsTheSummedMse) {
  Generator gen(3);
  ForwardModel model(vector_config(2), {{"position", {2}}, {"velocity", {1}}}, gen);
  const Batch frames{{"position", randn({2, 4, 2}, gen)}, {"velocity", randn({2, 4, 1}, gen)}};
  const Tensor action = rand({4, 2}, gen);
  const auto pred = model.forward(frames, action);
  ASSERT_EQ(pred.at("position").shape(), (Shape{4, 2}));
  ASSERT_EQ(pred.at("velocity").shape(), (Shape{4, 1}));
  const Batch next{{"position", zeros({4, 2})}, {"velocity", ones({4, 1})}};
  const double want = mean(square(pred.at("position"))).item() + mean(square(pred.at("velocity") - 1.0)).item();
  EXPECT_NEAR(model.loss(frames, action, next).item(), want, 1e-5);
  EXPECT_THROW(model.loss(frames, action, {{"position", zeros({4, 2})}}), ValueError);
}

}  // namespace
}  // namespace aime::algorithms
