#include "models/world_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "nn/optim/adam.h"

namespace aime::models {
namespace {

const std::vector<SensorSpec> kWalker = {{"image", {3, 64, 64}}, {"orientations", {14}}, {"height", {1}}, {"velocity", {9}}};
const std::vector<SensorSpec> kCheetah = {{"image", {3, 64, 64}}, {"position", {8}}, {"velocity", {9}}};

// docs/original.md §9, scale table: walker visual RSSM 7,317,351 trainable parameters in phase
// 1 (core 6,557,763 + probes 298,776 + IDM 460,812); cheetah visual RSSMO 10,744,536.
TEST(WorldModel, ParameterCountsMatchTheOriginalModels) {
  WorldModel walker(WorldModelConfig::original("rssm", Setup::Visual, kWalker, 6));
  EXPECT_EQ(walker.num_parameters(), 7317351);
  EXPECT_EQ(walker.idm->num_parameters(), 460812);
  WorldModel cheetah(WorldModelConfig::original("rssmo", Setup::Visual, kCheetah, 6));
  EXPECT_EQ(cheetah.num_parameters(), 10744536);
  EXPECT_EQ(cheetah.idm->num_parameters(), 2136076);
}

TEST(WorldModel, ConfigMergeTrapDefaults) {
  const auto rssm = WorldModelConfig::original("rssm", Setup::MDP, kWalker, 6);
  EXPECT_EQ(rssm.nll_reweight, distributions::NllReweight::DimWise);
  EXPECT_EQ(rssm.free_nats, 0.0);
  EXPECT_LT(rssm.kl_rebalance, 0.0);
  EXPECT_EQ(rssm.inputs.size(), 3u);  // every vector sensor
  EXPECT_TRUE(rssm.probes.empty());
  const auto rssmo = WorldModelConfig::original("rssmo", Setup::LPOMDP, kCheetah, 6);
  EXPECT_EQ(rssmo.nll_reweight, distributions::NllReweight::None);
  EXPECT_EQ(rssmo.free_nats, 1.0);
  EXPECT_EQ(rssmo.kl_rebalance, 0.8);
  EXPECT_EQ(rssmo.rssmo.min_std, 0.1);
  ASSERT_EQ(rssmo.inputs.size(), 1u);
  EXPECT_EQ(rssmo.inputs[0].name, "position");
  EXPECT_EQ(rssmo.probes[0].name, "velocity");
  EXPECT_THROW(WorldModelConfig::original("dreamer", Setup::MDP, kWalker, 6), ValueError);
  EXPECT_THROW(parse_setup("pixels"), ValueError);
}

// A small random batch with every sensor of `specs`.
Batch batch_for(const std::vector<SensorSpec>& specs, std::int64_t T, std::int64_t B, Generator& gen) {
  Batch b;
  for (const auto& s : specs) {
    Shape shape{T, B};
    shape.insert(shape.end(), s.shape.begin(), s.shape.end());
    b.set(s.name, s.is_image() ? rand(shape, gen) : randn(shape, gen));
  }
  b.set("pre_action", rand({T, B, 6}, gen) * 2.0 - 1.0);
  return b;
}

WorldModelConfig small(const std::string& model, Setup setup, const std::vector<SensorSpec>& sensors) {
  WorldModelConfig c = WorldModelConfig::original(model, setup, sensors, 6);
  c.rssm.deterministic_size = c.rssmo.deterministic_size = 16;
  c.rssm.stochastic_size = c.rssmo.stochastic_size = 4;
  c.rssm.hidden_size = c.rssmo.hidden_size = 8;
  c.head_hidden_size = 8;
  return c;
}

TEST(WorldModel, ConfigRoundTripsThroughMetadata) {
  for (const std::string model : {"rssm", "rssmo"}) {
    const WorldModelConfig c = small(model, Setup::LPOMDP, kWalker);
    const WorldModelConfig back = WorldModelConfig::from_metadata(c.to_metadata());
    EXPECT_EQ(back.to_metadata(), c.to_metadata()) << model;
    Generator g1(1), g2(1);
    EXPECT_EQ(WorldModel(c, g1).num_parameters(), WorldModel(back, g2).num_parameters());
  }
  auto m = small("rssm", Setup::MDP, kWalker).to_metadata();
  m.erase("world_model.free_nats");
  EXPECT_THROW(WorldModelConfig::from_metadata(m), ValueError);
}

TEST(WorldModel, ElboShapesForEverySetupAndModel) {
  Generator gen(1);
  for (const std::string model : {"rssm", "rssmo"})
    for (aime::models::Setup setup : {aime::models::Setup::Visual, aime::models::Setup::LPOMDP, aime::models::Setup::MDP}) {
      WorldModel wm(small(model, setup, kWalker), gen);
      const Batch b = batch_for(kWalker, 3, 2, gen);
      const ElboTerms e = wm.elbo(b, gen);
      const std::string what = model + "/" + setup_name(setup);
      EXPECT_EQ(e.loss.dim(), 0) << what;
      EXPECT_TRUE(std::isfinite(e.loss.item())) << what;
      EXPECT_EQ(e.kl_per_step.shape(), (Shape{3})) << what;
      EXPECT_EQ(e.reconstruction.size(), wm.config().outputs.size()) << what;
      EXPECT_EQ(e.probe_loss.size(), wm.config().probes.size()) << what;
      EXPECT_NEAR(e.elbo.item(), [&] {
        double r = 0;
        for (const auto& [k, v] : e.reconstruction) r += v.item();
        return r - e.kl.item();
      }(), 1e-3 * std::max(1.0, std::fabs(e.elbo.item()))) << what;
      const auto generated = wm.generate(wm.ssm().initial_state(2), b.at("pre_action"), gen);
      EXPECT_EQ(generated.size(), wm.config().outputs.size()) << what;
      EXPECT_EQ(generated.begin()->second.size(0), 3) << what;
      const auto imagined = wm.imagine(b, 2, gen);
      for (const auto& s : wm.config().outputs) {
        Shape want{3, 2};
        want.insert(want.end(), s.shape.begin(), s.shape.end());
        EXPECT_EQ(imagined.at(s.name).shape(), want) << what << " " << s.name;
      }
    }
}

TEST(WorldModel, GradientsReachEveryParameter) {
  Generator gen(2);
  for (const std::string model : {"rssm", "rssmo"}) {
    WorldModelConfig c = small(model, Setup::Visual, kWalker);
    c.free_nats = 0.0;  // RSSMO's 1 nat exceeds this tiny model's KL: it would (rightly) cut the prior's gradient
    WorldModel wm(c, gen);
    wm.elbo(batch_for(kWalker, 3, 2, gen), gen).loss.backward();
    for (const auto& [name, p] : wm.named_parameters()) {
      ASSERT_TRUE(p.grad().defined()) << model << " " << name;
      EXPECT_GT(max(abs(p.grad())).item(), 0.0) << model << " " << name;
    }
  }
}

// The gradient of prior_mean (reached only through the KL) under balancing alpha is alpha
// times the plain KL's; free nats larger than any KL remove the KL's gradient altogether.
TEST(WorldModel, RebalanceAndFreeNatsShapeTheGradientAsTheirFormulas) {
  auto prior_grad = [](double rebalance, double free_nats, double kl_scale) {
    Generator gen(3);
    WorldModelConfig c = small("rssm", Setup::MDP, kWalker);
    c.kl_rebalance = rebalance;
    c.free_nats = free_nats;
    c.kl_scale = kl_scale;
    c.nll_reweight = distributions::NllReweight::None;
    WorldModel wm(c, gen);
    Generator data(4), noise(5);
    wm.elbo(batch_for(kWalker, 3, 2, data), noise).loss.backward();
    return static_cast<const RSSM&>(wm.ssm()).prior_mean->parameters()[0].grad().to_vector<float>();
  };
  const auto plain = prior_grad(-1, 0, 1), balanced = prior_grad(0.8, 0, 1), clamped = prior_grad(-1, 1e6, 1);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NEAR(balanced[i], 0.8f * plain[i], 1e-5f + 1e-4f * std::fabs(plain[i]));
    EXPECT_EQ(clamped[i], 0.0f);
  }
}

TEST(WorldModel, TrainingRaisesTheElboOfItsOwnData) {
  Generator gen(6);
  WorldModel wm(small("rssm", Setup::MDP, {{"position", {2}}, {"velocity", {1}}}), gen);
  // Data from a damped oscillator driven by the actions: predictable from the past.
  const std::int64_t T = 8, B = 16;
  const auto act = (rand({T, B, 6}, gen) * 2.0 - 1.0).to_vector<float>();
  std::vector<double> pos(static_cast<std::size_t>(T * B * 2)), vel(static_cast<std::size_t>(T * B));
  for (std::int64_t b = 0; b < B; ++b) {
    double x = 0.1 * static_cast<double>(b % 5), v = 0;
    for (std::int64_t t = 0; t < T; ++t) {
      v = 0.9 * v - 0.3 * x + 0.5 * act[static_cast<std::size_t>((t * B + b) * 6)];
      x += 0.2 * v;
      pos[static_cast<std::size_t>((t * B + b) * 2)] = x;
      pos[static_cast<std::size_t>((t * B + b) * 2 + 1)] = -x;
      vel[static_cast<std::size_t>(t * B + b)] = v;
    }
  }
  Batch batch{{"position", tensor(pos, {T, B, 2})}, {"velocity", tensor(vel, {T, B, 1})},
                    {"pre_action", from_vector(act, {T, B, 6})}};
  Generator eval_noise(7);
  const double before = wm.elbo(batch, eval_noise).elbo.item();
  nn::AdamOptions o;
  o.lr = 3e-3;
  nn::Adam adam(wm.parameters(), o);
  for (int step = 0; step < 150; ++step) {
    adam.zero_grad();
    wm.elbo(batch, gen).loss.backward();
    adam.step();
  }
  Generator eval_noise2(7);
  const double after = wm.elbo(batch, eval_noise2).elbo.item();
  EXPECT_GT(after, before + 10.0) << "before " << before << " after " << after;
}

}  // namespace
}  // namespace aime::models
