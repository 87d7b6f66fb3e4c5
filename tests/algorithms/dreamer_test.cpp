#include "algorithms/dreamer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "algorithms/model_training.h"
#include "algorithms/policy_checkpoint.h"
#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "data/episode.h"
#include "distributions/kl.h"
#include "distributions/normal.h"
#include "envs/collect.h"
#include "nn/flat_parameters.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

std::vector<double> values_of(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

// |a - b| <= atol + rtol |b| elementwise, same shape.
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  const auto x = values_of(a), y = values_of(b);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!(std::fabs(x[i] - y[i]) <= atol + rtol * std::fabs(y[i]))) return false;
  return true;
}

bool equal(const Tensor& a, const Tensor& b) { return a.dtype() == b.dtype() && allclose(a, b, 0.0, 0.0); }

TEST(LambdaReturns, HandComputedCase) {
  // r = (1, 2, 3), V = (10, 20, 30), gamma = lambda = 1/2:
  //   R_1 = r_1 + gamma V_2 = 2 + 15 = 17
  //   R_0 = r_0 + gamma ((1 - lambda) V_1 + lambda R_1) = 1 + 0.5 (10 + 8.5) = 10.25
  const Tensor r = tensor({1, 2, 3}, {3, 1}, kFloat64), v = tensor({10, 20, 30}, {3, 1}, kFloat64);
  const auto R = lambda_returns(r, v, 0.5, 0.5).to_vector<double>();
  ASSERT_EQ(R.size(), 2u);
  EXPECT_DOUBLE_EQ(R[0], 10.25);
  EXPECT_DOUBLE_EQ(R[1], 17.0);
}

TEST(LambdaReturns, LambdaOneIsTheDiscountedSumAndZeroIsOneStep) {
  Generator gen(3);
  const Tensor r = randn({6, 4, 1}, gen, kFloat64), v = randn({6, 4, 1}, gen, kFloat64);
  const double g = 0.9;
  const auto mc = lambda_returns(r, v, g, 1.0), td = lambda_returns(r, v, g, 0.0);
  for (std::int64_t k = 0; k < 5; ++k) {
    // lambda = 1: sum_{j=k}^{4} g^(j-k) r_j + g^(5-k) V_5; lambda = 0: r_k + g V_{k+1}.
    Tensor expect = std::pow(g, 5 - k) * v.select(0, 5);
    for (std::int64_t j = k; j < 5; ++j) expect = expect + std::pow(g, j - k) * r.select(0, j);
    EXPECT_TRUE(allclose(mc.select(0, k), expect, 1e-12, 1e-12)) << k;
    EXPECT_TRUE(allclose(td.select(0, k), r.select(0, k) + g * v.select(0, k + 1), 1e-12, 1e-12)) << k;
  }
}

TEST(LambdaReturns, Float64GradientCheck) {
  Generator gen(4);
  const Tensor r = randn({5, 3, 1}, gen, kFloat64), v = randn({5, 3, 1}, gen, kFloat64);
  const GradcheckResult g =
      gradcheck([](const std::vector<Tensor>& x) { return lambda_returns(x[0], x[1], 0.9, 0.7); }, {r, v});
  EXPECT_TRUE(g.ok) << g.message;
}

TEST(LambdaReturns, RefusesMismatchedLengths) {
  EXPECT_THROW(lambda_returns(zeros({3, 1}), zeros({4, 1}), 0.9, 0.9), ValueError);
  EXPECT_THROW(lambda_returns(zeros({1, 1}), zeros({1, 1}), 0.9, 0.9), ValueError);
}

TEST(ActionPriorKl, EqualsTheNormalKlOfTheBase) {
  Generator gen(5);
  const Tensor mu = randn({4, 3}, gen, kFloat64), s = exp(0.3 * randn({4, 3}, gen, kFloat64));
  const distributions::TanhNormal a(mu, s);
  const Tensor expect = sum(distributions::kl_divergence(distributions::Normal(mu, s),
                                                         distributions::Normal(zeros_like(mu), full_like(mu, 0.88))),
                            {-1});
  EXPECT_TRUE(allclose(action_prior_kl(a), expect, 1e-12, 1e-12));
}

// A tiny world model over a two-sensor vector environment.
models::WorldModelConfig tiny_config() {
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"position", {2}}, {"velocity", {2}}}, 1);
  c.rssm.deterministic_size = 16;
  c.rssm.stochastic_size = 4;
  c.rssm.hidden_size = 16;
  c.head_hidden_size = 16;
  return c;
}

DreamerConfig tiny_dreamer() {
  DreamerConfig d;
  d.imagination_horizon = 5;
  d.actor_hidden_size = d.value_hidden_size = 16;
  return d;
}

TEST(DreamerAgent, HasARewardHeadAndKeepsAnExistingOne) {
  Generator gen(1);
  const DreamerAgent agent(tiny_config(), tiny_dreamer(), gen);
  ASSERT_TRUE(agent.model->decoders.count("reward"));
  EXPECT_EQ(with_reward_head(agent.model->config()).outputs.size(), agent.model->config().outputs.size());
}

models::State random_starts(const DreamerAgent& agent, std::int64_t n, Generator& gen) {
  return {randn({n, agent.model->ssm().deterministic_size()}, gen),
          randn({n, agent.model->ssm().stochastic_size()}, gen), Tensor()};
}

std::map<std::string, Tensor> grads_of(const nn::Module& m) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, p] : m.named_parameters())
    if (p.grad().defined()) out[name] = p.grad().clone();
  return out;
}

TEST(DreamerActor, GradientReachesTheActorThroughTheImaginedStatesAndNotTheModel) {
  Generator init(2);
  DreamerConfig d = tiny_dreamer();
  d.entropy_scale = 0.0;  // no direct path: the actor's only gradient is through the dynamics
  DreamerAgent agent(tiny_config(), d, init);
  Generator data(7);
  const models::State starts = random_starts(agent, 12, data);
  agent.model->freeze();
  agent.value->freeze();
  Generator noise(11);
  ImaginationTerms im = imagine_actor_loss(agent, starts, noise);
  im.actor_loss.backward();
  EXPECT_TRUE(grads_of(*agent.model).empty()) << "the model got a gradient from the actor's loss";
  EXPECT_TRUE(grads_of(*agent.value).empty());
  const auto frozen = grads_of(*agent.actor);
  ASSERT_EQ(frozen.size(), agent.actor->named_parameters().size());
  double norm = 0;
  for (const auto& [k, g] : frozen) norm += sum(square(g)).item();
  EXPECT_GT(norm, 0.0);
  // Freezing changes nothing about the actor's gradient: the same loss, the model trainable.
  agent.model->unfreeze();
  agent.value->unfreeze();
  agent.actor->zero_grad(true);
  Generator noise2(11);
  imagine_actor_loss(agent, starts, noise2).actor_loss.backward();
  for (const auto& [k, g] : grads_of(*agent.actor)) EXPECT_TRUE(allclose(g, frozen.at(k), 1e-5, 1e-7)) << k;
  EXPECT_FALSE(grads_of(*agent.model).empty());
}

TEST(DreamerActor, FrozenPackedModelParametersGetNoGradient) {
  // As train_dreamer holds them: packed into one buffer (nn::flatten_parameters), whose
  // gradient views stay defined; freezing must keep them at zero.
  Generator init(2);
  DreamerAgent agent(tiny_config(), tiny_dreamer(), init);
  nn::flatten_parameters(agent.model_parameters());
  agent.model->freeze();
  agent.value->freeze();
  Generator data(7), noise(11);
  imagine_actor_loss(agent, random_starts(agent, 12, data), noise).actor_loss.backward();
  for (const auto& [name, p] : agent.model->named_parameters()) {
    if (p.grad().defined()) {
      EXPECT_EQ(sum(square(p.grad())).item(), 0.0) << name;
    }
  }
  double actor = 0;
  for (const auto& [name, g] : grads_of(*agent.actor)) actor += sum(square(g)).item();
  EXPECT_GT(actor, 0.0);
}

TEST(DreamerValue, LossTrainsTheValueAlone) {
  Generator init(2);
  DreamerAgent agent(tiny_config(), tiny_dreamer(), init);
  Generator data(7), noise(3);
  const ImaginationTerms im = imagine_actor_loss(agent, random_starts(agent, 8, data), noise);
  agent.model->zero_grad(true);
  agent.actor->zero_grad(true);
  agent.value->zero_grad(true);
  const Tensor loss = value_loss(agent, im);
  // 1/2 mean (vnet(f_k) - (1 - gamma) R_k)^2 over k < H - 1.
  const Tensor v = agent.value->forward(im.features.narrow(0, 0, 4));
  EXPECT_NEAR(loss.item(), 0.5 * mean(square(v - 0.01 * im.returns)).item(), 1e-6);
  loss.backward();
  EXPECT_TRUE(grads_of(*agent.model).empty());
  EXPECT_TRUE(grads_of(*agent.actor).empty());
  EXPECT_EQ(grads_of(*agent.value).size(), agent.value->named_parameters().size());
}

DreamerConfig tiny_explorer() {
  DreamerConfig d = tiny_dreamer();
  d.algo = "plan2explore";
  d.ensemble_size = 3;
  d.ensemble_hidden_size = 8;
  return d;
}

TEST(Plan2Explore, TheDisagreementIsTheMeanLogUnbiasedVariance) {
  Generator init(2);
  const DreamerAgent agent(tiny_config(), tiny_explorer(), init);
  EXPECT_FALSE(agent.model->decoders.count("reward"));  // removed, as the original does
  ASSERT_EQ(agent.ensemble.size(), 3u);
  const std::int64_t F = agent.model->ssm().feature_size(), E = agent.model->ssm().embedding_size();
  Generator data(8);
  const Tensor x = randn({2, 5, F + 1}, data);
  const auto r = values_of(agent.intrinsic_reward(x));
  ASSERT_EQ(r.size(), 10u);
  std::vector<std::vector<double>> p;
  for (const auto& head : agent.ensemble) p.push_back(values_of(head->forward(x)));  // [2*5*E] each
  for (std::size_t n = 0; n < 10; ++n) {
    double expect = 0;
    for (std::int64_t d = 0; d < E; ++d) {
      const std::size_t i = n * static_cast<std::size_t>(E) + static_cast<std::size_t>(d);
      const double m = (p[0][i] + p[1][i] + p[2][i]) / 3.0;
      double var = 0;
      for (int j = 0; j < 3; ++j) var += (p[j][i] - m) * (p[j][i] - m);
      expect += std::log(var / 2.0) / static_cast<double>(E);
    }
    EXPECT_NEAR(r[n], expect, 1e-4 * std::fabs(expect) + 1e-5) << n;
  }
}

TEST(Plan2Explore, EnsembleLearnsTheNextEmbeddingFromTheDetachedFeature) {
  Generator init(2);
  const DreamerAgent agent(tiny_config(), tiny_explorer(), init);
  const std::int64_t F = agent.model->ssm().feature_size(), E = agent.model->ssm().embedding_size();
  Generator data(9);
  const Tensor f = randn({4, 3, F}, data).requires_grad_(), a = randn({4, 3, 1}, data), e = randn({4, 3, E}, data);
  const Tensor loss = agent.ensemble_loss(f, a, e);
  // sum over heads of mean (head_j([f_t, a_{t+1}]) - e_{t+1})^2, t < T - 1
  double expect = 0;
  const Tensor in = cat({f.narrow(0, 0, 3), a.narrow(0, 1, 3)}, -1);
  for (const auto& head : agent.ensemble) expect += mean(square(head->forward(in) - e.narrow(0, 1, 3))).item();
  EXPECT_NEAR(loss.item(), expect, 1e-5 * expect);
  loss.backward();
  EXPECT_FALSE(f.grad().defined());  // the features are taken detached: the model learns nothing from it
}

TEST(Plan2Explore, ActorGradientComesThroughTheDisagreementAlone) {
  Generator init(2);
  DreamerConfig d = tiny_explorer();
  d.entropy_scale = 0.0;
  DreamerAgent agent(tiny_config(), d, init);
  Generator data(7), noise(5);
  agent.model->freeze();
  agent.value->freeze();
  for (auto& h : agent.ensemble) h->freeze();
  imagine_actor_loss(agent, random_starts(agent, 6, data), noise).actor_loss.backward();
  EXPECT_TRUE(grads_of(*agent.model).empty());
  for (auto& h : agent.ensemble) EXPECT_TRUE(grads_of(*h).empty());
  EXPECT_EQ(grads_of(*agent.actor).size(), agent.actor->named_parameters().size());
}

TEST(DreamerConfig, MetadataRoundTripAndBadFields) {
  DreamerConfig c = tiny_dreamer();
  c.gamma = 0.97;
  c.entropy_scale = 3e-4;
  const DreamerConfig back = DreamerConfig::from_metadata(c.to_metadata());
  EXPECT_EQ(back.to_metadata(), c.to_metadata());
  auto m = c.to_metadata();
  m["dreamer.gamma"] = "1.5";
  EXPECT_THROW(DreamerConfig::from_metadata(m), ValueError);
  m = c.to_metadata();
  m.erase("dreamer.lambda");
  try {
    DreamerConfig::from_metadata(m);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("dreamer.lambda"), std::string::npos) << e.what();
  }
}

// A short run on pendulum-swingup with 100-step episodes.
DreamerTrainingOptions tiny_run(const std::string& out, std::int64_t epochs) {
  DreamerTrainingOptions o;
  o.env = "pendulum-swingup";
  o.env_options.episode_steps = 100;
  o.out_dir = out;
  o.seed = 5;
  o.prefill_episodes = 2;
  o.pretrain_updates = 2;
  o.epochs = epochs;
  o.updates_per_epoch = 3;
  o.batch_size = 4;
  o.horizon = 10;
  o.eval_every = 2;
  o.dreamer = tiny_dreamer();
  o.model_config = [](const std::vector<models::SensorSpec>& sensors, std::int64_t actions) {
    auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, sensors, actions);
    c.rssm.deterministic_size = 16;
    c.rssm.stochastic_size = 4;
    c.rssm.hidden_size = c.head_hidden_size = 16;
    return c;
  };
  return o;
}

std::string temp_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("aime_dreamer_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

TEST(TrainDreamer, WritesTheRunFolder) {
  const std::string out = temp_dir("folder");
  const DreamerResult r = train_dreamer(tiny_run(out, 3));
  EXPECT_EQ(r.epochs, 3);
  // 2 prefill + 3 agent episodes, in the original's layout (a buffer dataset).
  const data::SequenceDataset buffer((fs::path(out) / "train_trajectories").string());
  EXPECT_EQ(buffer.num_episodes(), 5);
  for (const char* key : {"orientation", "velocity", "pre_action", "reward", "is_first"})
    EXPECT_NE(std::find(buffer.keys().begin(), buffer.keys().end(), key), buffer.keys().end()) << key;
  // mdp: the training episodes are not rendered (the original renders only for visual).
  EXPECT_EQ(std::find(buffer.keys().begin(), buffer.keys().end(), "image"), buffer.keys().end());
  EXPECT_TRUE(fs::exists(fs::path(out) / "test_trajectories" / "0.npz"));  // epoch 0 and the last (2) test
  EXPECT_TRUE(fs::exists(fs::path(out) / "test_trajectories" / "2.npz"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "metrics.csv"));
  // policy/ loads as a policy and acts.
  const LoadedPolicy p = load_policy((fs::path(out) / "policy").string());
  auto env = envs::make_environment("pendulum-swingup", {2, 100, false});
  double ret = -1;
  envs::collect_episode(*env, *p.actor, 1, &ret);
  EXPECT_GE(ret, 0.0);
  fs::remove_all(out);
}

TEST(TrainDreamer, ResumeIsExact) {  // with Plan2Explore's ensemble: every part of the state
  const std::string straight = temp_dir("straight"), resumed = temp_dir("resumed");
  DreamerTrainingOptions first = tiny_run(straight, 3);
  first.dreamer = tiny_explorer();
  train_dreamer(first);
  first.out_dir = resumed;
  first.epochs = 2;
  train_dreamer(first);
  // A crash after the next episode was written and before its checkpoint: resume drops it.
  fs::copy_file(fs::path(resumed) / "train_trajectories" / "0.npz", fs::path(resumed) / "train_trajectories" / "4.npz");
  DreamerTrainingOptions more = tiny_run(resumed, 3);
  more.dreamer = tiny_explorer();
  more.resume = true;
  more.model_config = nullptr;  // the checkpoint holds the model's config
  train_dreamer(more);
  const auto a = nn::load_safetensors((fs::path(straight) / "agent.safetensors").string());
  const auto b = nn::load_safetensors((fs::path(resumed) / "agent.safetensors").string());
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [k, t] : a.tensors) EXPECT_TRUE(equal(t, b.tensors.at(k))) << k;
  EXPECT_TRUE(a.tensors.contains("ensemble.0.0.weight")) << "the explorer's ensemble is in the checkpoint";
  EXPECT_EQ(a.metadata.at("train.noise_offset"), b.metadata.at("train.noise_offset"));
  for (int i = 0; i < 5; ++i) {
    const auto name = std::to_string(i) + ".npz";
    const auto ea = data::load_episode((fs::path(straight) / "train_trajectories" / name).string());
    const auto eb = data::load_episode((fs::path(resumed) / "train_trajectories" / name).string());
    EXPECT_TRUE(equal(ea.at("pre_action").data, eb.at("pre_action").data)) << name;
  }
  // Resuming a finished run changes nothing; another seed is refused, naming the key.
  more.epochs = 3;
  EXPECT_TRUE(train_dreamer(more).already_finished);
  // The flags' model, as the CLI passes it, is the run's, so it resumes; any setting of
  // another run is refused, naming its key: the seed, the schedule, the agent, the model.
  more.model_config = tiny_run(resumed, 3).model_config;
  EXPECT_TRUE(train_dreamer(more).already_finished);
  const auto refused = [&](const std::function<void(DreamerTrainingOptions&)>& change, const std::string& key) {
    DreamerTrainingOptions other = more;
    change(other);
    try {
      train_dreamer(other);
      ADD_FAILURE() << "resumed under another " << key;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  refused([](DreamerTrainingOptions& o) { o.seed = 6; }, "train.seed");
  refused([](DreamerTrainingOptions& o) { o.batch_size = 5; }, "train.batch_size");
  refused([](DreamerTrainingOptions& o) { o.exploration_noise = 0.3; }, "train.exploration_noise");
  refused([](DreamerTrainingOptions& o) { o.dreamer.actor_lr *= 2; }, "dreamer.actor_lr");
  refused(
      [](DreamerTrainingOptions& o) {
        o.model_config = [](const std::vector<models::SensorSpec>& sensors, std::int64_t actions) {
          auto c = tiny_run("", 1).model_config(sensors, actions);
          c.rssm.hidden_size = 32;
          return c;
        };
      },
      "world_model.hidden_size");
  fs::remove_all(straight);
  fs::remove_all(resumed);
}

}  // namespace
}  // namespace aime::algorithms
