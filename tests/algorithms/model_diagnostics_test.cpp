#include "algorithms/model_diagnostics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime::algorithms {
namespace {

// A small mdp world model over two vector sensors and a dataset of random episodes for it.
struct Fixture {
  models::WorldModel model;
  data::SequenceDataset dataset;
};

models::WorldModelConfig small_config() {
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"position", {2}}, {"velocity", {1}}}, 2);
  c.rssm.deterministic_size = c.rssm.hidden_size = c.head_hidden_size = 8;
  c.rssm.stochastic_size = 3;
  return c;
}

data::SequenceDataset random_episodes(std::int64_t horizon, Generator& gen) {
  std::vector<data::Episode> episodes;
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    data::Episode e;
    e.set("position", randn({12, 2}, gen));
    e.set("velocity", randn({12, 1}, gen));
    e.set("pre_action", rand({12, 2}, gen) * 2.0 - 1.0);
    episodes.push_back(e);
    names.push_back(std::to_string(i) + ".npz");
  }
  data::SequenceDatasetOptions o;
  o.horizon = horizon;
  return data::SequenceDataset(std::move(episodes), std::move(names), o);
}

TEST(ModelDiagnostics, ActionVariants) {
  const Tensor a = tensor({0.2, -0.8, 0.6, 0.1}, {1, 2, 2});  // [T, B, A]
  std::map<std::string, std::vector<float>> got;
  for (const auto& v : action_variants()) got[v.name] = v.change(a).to_vector<float>();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got["zero"], (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(got["negated"], (std::vector<float>{-0.2f, 0.8f, -0.6f, -0.1f}));
  EXPECT_EQ(got["halved"], (std::vector<float>{0.1f, -0.4f, 0.3f, 0.05f}));
  EXPECT_EQ(got["doubled"], (std::vector<float>{0.4f, -1.0f, 1.0f, 0.2f}));  // clipped to [-1, 1]
  EXPECT_EQ(got["other window's"], (std::vector<float>{0.6f, 0.1f, 0.2f, -0.8f}));  // window b gets b + 1's
}

// The report is the model's own ELBO of each batch with noise seed + i, and each drop the
// difference to the same batch and noise under the changed actions.
TEST(ModelDiagnostics, EvaluateElboAndTheActionCheckAreTheModelsElbo) {
  Generator gen(1);
  models::WorldModel model(small_config(), gen);
  const data::SequenceDataset dataset = random_episodes(6, gen);
  data::SequenceSampler sampler(dataset, 4, 9, Device::cpu(), false);
  const ElboReport report = evaluate_elbo(model, sampler, 2, 100, true);
  data::SequenceSampler again(dataset, 4, 9, Device::cpu(), false);
  NoGradGuard no_grad;
  double elbo = 0.0, kl = 0.0, lost_negated = 0.0, kl_rise_negated = 0.0;
  for (std::uint64_t i = 0; i < 2; ++i) {
    const Batch batch = again.next();
    Generator g(100 + i), h(100 + i);
    const models::ElboTerms t = model.elbo(batch, g);
    Batch negated = batch;
    negated.set("pre_action", -batch.at("pre_action"));
    const models::ElboTerms c = model.elbo(negated, h);
    elbo += t.elbo.item() / 2;
    kl += t.kl.item() / 2;
    lost_negated += (t.elbo.item() - c.elbo.item()) / 2;
    kl_rise_negated += (c.kl.item() - t.kl.item()) / 2;
  }
  EXPECT_DOUBLE_EQ(report.means.at("elbo"), elbo);
  EXPECT_DOUBLE_EQ(report.means.at("kl"), kl);
  EXPECT_TRUE(report.means.count("reconstruction/position") && report.means.count("mse/velocity"));
  ASSERT_EQ(report.action_drops.size(), 5u);
  const ActionDrop& d = report.action_drops[1];
  EXPECT_EQ(d.variant, "negated");
  EXPECT_NEAR(d.elbo_lost, lost_negated, 1e-9 * (1 + std::fabs(lost_negated)));
  EXPECT_NEAR(d.kl_rise, kl_rise_negated, 1e-9 * (1 + std::fabs(kl_rise_negated)));
  EXPECT_NE(d.elbo_lost, 0.0);  // an untrained model still depends on its actions
  EXPECT_DOUBLE_EQ(d.reconstruction_fall(), d.elbo_lost - d.kl_rise);
  // Without the check: the same means, no drops.
  data::SequenceSampler plain(dataset, 4, 9, Device::cpu(), false);
  const ElboReport without = evaluate_elbo(model, plain, 2, 100, false);
  EXPECT_TRUE(without.action_drops.empty());
  EXPECT_DOUBLE_EQ(without.means.at("elbo"), elbo);
  EXPECT_THROW(evaluate_elbo(model, plain, 0, 100, false), ValueError);
}

TEST(ModelDiagnostics, OpenLoopMetricsAgainstTheTruthAndTheRepeatedFrame) {
  Generator gen(2);
  models::WorldModel model(small_config(), gen);
  const data::SequenceDataset dataset = random_episodes(7, gen);
  data::SequenceSampler sampler(dataset, 3, 4, Device::cpu(), false);
  const Batch batch = sampler.next();
  Generator g1(5), g2(5);
  const OpenLoopResult r = imagine_open_loop(model, batch, 3, g1);
  NoGradGuard no_grad;
  const auto predicted = model.imagine(batch, 3, g2);
  for (const std::string name : {"position", "velocity"}) {
    const Tensor& truth = batch.at(name);
    const Tensor& pred = predicted.at(name);
    EXPECT_EQ(r.predicted.at(name).to_vector<float>(), pred.to_vector<float>());
    const OpenLoopMetrics& m = r.metrics.at(name);
    EXPECT_DOUBLE_EQ(m.model_mse, mean(square(pred.narrow(0, 3, 4) - truth.narrow(0, 3, 4))).item());
    EXPECT_DOUBLE_EQ(m.repeat_last_mse, mean(square(truth.narrow(0, 2, 1) - truth.narrow(0, 3, 4))).item());
    EXPECT_DOUBLE_EQ(m.context_mse, mean(square(pred.narrow(0, 0, 3) - truth.narrow(0, 0, 3))).item());
  }
  EXPECT_THROW(imagine_open_loop(model, batch, 7, g1), ValueError);  // nothing left to imagine
}

TEST(ModelDiagnostics, OpenLoopFramesAreTruthModelAndErrorRows) {
  Generator gen(3);
  const Tensor truth = rand({2, 3, 3, 4, 4}, gen), pred = rand({2, 3, 3, 4, 4}, gen);  // [T, B, C, H, W]
  const Tensor frames = open_loop_frames(truth, pred);
  EXPECT_EQ(frames.shape(), (Shape{3 * 3 * 2, 3, 4, 4}));
  // Sequence 1, row "model" (1), step 0: index (1 * 3 + 1) * T + 0.
  EXPECT_EQ(frames.select(0, 8).to_vector<float>(), pred.select(0, 0).select(0, 1).to_vector<float>());
  EXPECT_EQ(frames.select(0, 11).to_vector<float>(), abs(truth.select(0, 1).select(0, 1) - pred.select(0, 1).select(0, 1)).to_vector<float>());
  EXPECT_THROW(open_loop_frames(truth, pred.narrow(0, 0, 1)), ShapeError);
}

}  // namespace
}  // namespace aime::algorithms
