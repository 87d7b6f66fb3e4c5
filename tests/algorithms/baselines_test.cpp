#include "algorithms/baselines.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "algorithms/policy_checkpoint.h"
#include "autograd/api.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

// A damped point: x' = (p + 0.2 v, 0.9 v + 0.5 a); the expert steers it home with
// a = tanh(-1.5 p - 0.8 v). Episodes are stored as collected: x_t and pre_action_t (the
// action that led to x_t).
double expert(double p, double v) { return std::tanh(-1.5 * p - 0.8 * v); }

data::SequenceDataset episodes(bool use_expert, std::int64_t count, std::int64_t horizon, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<data::Episode> eps;
  std::vector<std::string> names;
  const std::int64_t T = 30;
  for (std::int64_t e = 0; e < count; ++e) {
    const auto start = (rand({2}, gen) * 4.0 - 2.0).to_vector<float>();
    const auto noise = (rand({T}, gen) * 2.0 - 1.0).to_vector<float>();
    std::vector<double> x, a;
    double p = start[0], v = start[1], act = 0.0;
    for (std::int64_t t = 0; t < T; ++t) {
      x.push_back(p);
      x.push_back(v);
      a.push_back(act);
      act = use_expert ? expert(p, v) : noise[static_cast<std::size_t>(t)];
      const double p2 = p + 0.2 * v;
      v = 0.9 * v + 0.5 * act;
      p = p2;
    }
    data::Episode ep;
    ep.set("state", tensor(x, {T, 2}));
    ep.set("pre_action", tensor(a, {T, 1}));
    eps.push_back(ep);
    names.push_back(std::to_string(e) + ".npz");
  }
  data::SequenceDatasetOptions o;
  o.horizon = horizon;
  return data::SequenceDataset(std::move(eps), names, o);
}

BaselineOptions options(const std::string& name) {
  BaselineOptions o;
  o.network.inputs = {{"state", {2}}};
  o.network.stack = 1;
  o.network.action_size = 1;
  o.network.hidden_size = 32;
  o.policy.min_epochs = 30;
  o.policy.max_epochs = 60;
  o.policy.patience = 5;
  o.policy.lr = 3e-3;
  o.dynamics = o.policy;
  o.dynamics.min_epochs = 40;
  o.out_dir = (fs::temp_directory_path() / ("aime_baselines_" + std::to_string(::getpid())) / name).string();
  fs::remove_all(o.out_dir);
  return o;
}

// Mean squared distance of the saved policy's actions to the expert's on a grid of states.
double policy_error(const std::string& dir) {
  LoadedPolicy loaded = load_policy(dir);
  double total = 0.0;
  int n = 0;
  for (double p = -1.5; p <= 1.5; p += 0.5)
    for (double v = -1.0; v <= 1.0; v += 0.5) {
      envs::Observation o;
      o.sensors = {{"state", {p, v}}};
      loaded.actor->reset(0);
      const double a = loaded.actor->act(o).at(0);
      total += (a - expert(p, v)) * (a - expert(p, v));
      ++n;
    }
  return total / n;
}

double untrained_error() {
  Generator gen(0);
  BaselineOptions o = options("untrained");
  FrameStackPolicy policy(o.network, gen);
  save_frame_stack_policy(o.out_dir, policy, "bc");
  return policy_error(o.out_dir);
}

TEST(Baselines, BcClonesTheDemonstratedActions) {
  const BaselineOptions o = options("bc");
  const ImitationResult r = train_bc(episodes(true, 20, 2, 1), o);
  EXPECT_GT(r.steps, 0);
  EXPECT_FALSE(r.final_evaluation.has_value());  // no environment given
  const double err = policy_error(o.out_dir), before = untrained_error();
  std::printf("bc: action error %.4f (untrained %.4f)\n", err, before);
  EXPECT_LT(err, 0.01);
  EXPECT_LT(err, 0.1 * before);
  EXPECT_TRUE(fs::exists(o.out_dir + "/metrics.csv"));
}

TEST(Baselines, BcoLabelsTheDemonstrationsWithAnInverseModelOfTheEmbodimentData) {
  const BaselineOptions o = options("bco");
  train_bco(episodes(false, 40, 2, 2), episodes(true, 20, 2, 1), o);
  const double err = policy_error(o.out_dir), before = untrained_error();
  std::printf("bco: action error %.4f (untrained %.4f)\n", err, before);
  EXPECT_LT(err, 0.05);
  EXPECT_LT(err, 0.2 * before);
  EXPECT_TRUE(fs::exists(o.out_dir + "/dynamics.csv"));
  EXPECT_EQ(load_policy(o.out_dir).algo, "bco");
}

TEST(Baselines, IidmLearnsThePolicyThroughAFrozenForwardModel) {
  const BaselineOptions o = options("iidm");
  train_iidm(episodes(false, 40, 2, 2), episodes(true, 20, 2, 1), o);
  const double err = policy_error(o.out_dir), before = untrained_error();
  std::printf("iidm: action error %.4f (untrained %.4f)\n", err, before);
  EXPECT_LT(err, 0.5 * before);
  EXPECT_EQ(load_policy(o.out_dir).algo, "iidm");
}

TEST(Baselines, WindowsMustHoldTheStackAndTheNextStep) {
  BaselineOptions o = options("bad");
  o.network.stack = 3;
  try {
    train_bc(episodes(true, 2, 2, 1), o);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("needs 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aime::algorithms
