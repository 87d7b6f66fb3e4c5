#include "algorithms/aime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "algorithms/model_training.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"

#include "autograd/api.h"
#include "distributions/kl.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {
namespace {

// A driven, damped oscillator: x' = v, v' = -0.3 x + 0.5 a; the expert pushes against the
// position (a = tanh(-2 x)). The world model learns it from random actions; AIME then
// sees only the expert's observations.
Batch rollouts(bool expert, std::int64_t T, std::int64_t B, Generator& gen) {
  const auto noise = (rand({T, B}, gen) * 2.0 - 1.0).to_vector<float>();
  std::vector<double> pos(static_cast<std::size_t>(T * B)), vel(pos.size()), act(pos.size());
  for (std::int64_t b = 0; b < B; ++b) {
    double x = 1.0 - 0.1 * static_cast<double>(b % 7), v = 0.0, a = 0.0;
    for (std::int64_t t = 0; t < T; ++t) {
      const auto i = static_cast<std::size_t>(t * B + b);
      act[i] = a;  // pre_action: the action that led here
      pos[i] = x;
      vel[i] = v;
      a = expert ? std::tanh(-2.0 * x) : noise[i];
      v = 0.8 * v - 0.3 * x + 0.5 * a;
      x += 0.3 * v;
    }
  }
  return {{"position", tensor(pos, {T, B, 1})}, {"velocity", tensor(vel, {T, B, 1})}, {"pre_action", tensor(act, {T, B, 1})}};
}

// A small RSSM for the oscillator's two sensors and one action: deterministic state and every
// hidden layer of `width`, a stochastic state of `stochastic`, no IDM head.
models::WorldModelConfig oscillator_config(std::int64_t width, std::int64_t stochastic) {
  auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"position", {1}}, {"velocity", {1}}}, 1);
  config.rssm.deterministic_size = width;
  config.rssm.stochastic_size = stochastic;
  config.rssm.hidden_size = width;
  config.head_hidden_size = width;
  config.idm = false;
  return config;
}

// AIME's objective as it was written before it moved onto the state-space model's shared
// filter: its own loop of posterior steps, a prior per step, no split first layer. The
// reference the shared filter must equal up to the order of float sums.
AimeTerms step_by_step_objective(const models::WorldModel& model, models::TanhGaussianPolicy& policy,
                                 const Batch& demos, Generator& gen, const AimeOptions& options) {
  const Tensor* recorded = demos.find("pre_action");
  const Tensor embeddings = model.embed(demos);
  const std::int64_t T = embeddings.size(0), B = embeddings.size(1);
  std::vector<models::StepOutput> steps;
  models::State state = model.ssm().initial_state(B);
  std::vector<Tensor> actions, taken, idm_kls;
  for (std::int64_t t = 0; t < T; ++t) {
    const Tensor e = embeddings.select(0, t);
    const auto pi = policy.forward(options.policy_reads_mean ? state.mean_feature() : state.feature());
    Tensor action;
    if (options.oracle_actions) {
      action = recorded->select(0, t);
    } else if (options.use_idm) {
      const auto q = model.idm->forward(cat({state.feature(), e}, -1));
      action = q->rsample(gen);
      idm_kls.push_back(mean(sum(distributions::kl_divergence(*q, *pi), {-1})));
    } else {
      action = pi->rsample(gen);
    }
    steps.push_back(model.ssm().posterior_step(e, action, state, gen));
    state = steps.back().state;
    taken.push_back(action);
    actions.push_back(options.oracle_actions ? pi->mode() : action);
  }
  AimeTerms out;
  out.actions = stack(actions, 0);
  const double kl_scale = options.kl_scale >= 0 ? options.kl_scale : model.config().kl_scale;
  out.elbo = model.elbo_of(models::FilterOutput::from_steps(steps, taken), embeddings, demos,
                           models::ElboOptions::policy_objective(options.kl_only, options.kl_rebalance));
  out.loss = options.kl_only ? kl_scale * out.elbo.kl_loss : out.elbo.reconstruction_loss + kl_scale * out.elbo.kl_loss;
  if (options.use_idm) out.loss = out.loss + kl_scale * sum(stack(idm_kls, 0));
  if (options.oracle_actions) out.loss = sum(mean(sum(square(out.actions - *recorded), {-1}), {1}));
  return out;
}

// The shared filter (batched priors, RSSM's split first layer) gives the step-by-step loop's
// loss and policy gradient to 1e-5 relative, in every variant and for both models, from the
// same noise. Variants 4 and 5 (AIME and the oracle with a policy that reads the posterior's
// mean) must also differ from 0 and 3, which read the sample.
TEST(Aime, SharedFilterEqualsTheStepByStepLoop) {
  for (const std::string kind : {"rssm", "rssmo"}) {
    auto config = models::WorldModelConfig::original(kind, models::Setup::MDP, {{"position", {1}}, {"velocity", {1}}}, 1);
    config.rssm.deterministic_size = config.rssmo.deterministic_size = 16;
    config.rssm.stochastic_size = config.rssmo.stochastic_size = 4;
    config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = 16;
    Generator gen(4);
    models::WorldModel model(config, gen);
    model.freeze();
    models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 16, 2, gen);
    Generator data(5);
    const Batch demos = rollouts(true, 12, 6, data);
    std::vector<std::vector<float>> grads;
    for (int variant = 0; variant < 6; ++variant) {
      AimeOptions o;
      o.kl_only = variant == 1;
      o.use_idm = variant == 2;
      o.oracle_actions = variant == 3 || variant == 5;
      o.policy_reads_mean = variant >= 4;
      auto run = [&](bool shared) {
        policy.zero_grad(true);
        Generator noise(6);
        const AimeTerms t = shared ? aime_objective(model, policy, demos, noise, o)
                                   : step_by_step_objective(model, policy, demos, noise, o);
        t.loss.backward();
        std::vector<float> grad;
        for (const Tensor& p : policy.parameters()) {  // (oracle: the std head gets none)
          const auto g = p.grad().defined() ? p.grad().to_vector<float>() : std::vector<float>(static_cast<std::size_t>(p.numel()));
          grad.insert(grad.end(), g.begin(), g.end());
        }
        return std::make_pair(t.loss.item(), grad);
      };
      const auto [loss, grad] = run(true);
      const auto [ref_loss, ref_grad] = run(false);
      const std::string what = kind + " variant " + std::to_string(variant);
      EXPECT_NEAR(loss, ref_loss, 1e-5 * std::fabs(ref_loss)) << what;
      double diff = 0.0, norm = 0.0;
      ASSERT_EQ(grad.size(), ref_grad.size());
      for (std::size_t i = 0; i < grad.size(); ++i) {
        diff += (grad[i] - ref_grad[i]) * static_cast<double>(grad[i] - ref_grad[i]);
        norm += ref_grad[i] * static_cast<double>(ref_grad[i]);
      }
      EXPECT_GT(norm, 0.0) << what;
      EXPECT_LT(std::sqrt(diff / norm), 1e-5) << what;
      grads.push_back(grad);
    }
    auto relative_difference = [](const std::vector<float>& a, const std::vector<float>& b) {
      double diff = 0.0, norm = 0.0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        diff += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
        norm += b[i] * static_cast<double>(b[i]);
      }
      return std::sqrt(diff / norm);
    };
    EXPECT_GT(relative_difference(grads[4], grads[0]), 1e-2) << kind << ": the mean is not read";
    EXPECT_GT(relative_difference(grads[5], grads[3]), 1e-2) << kind << ": the mean is not read";
  }
}

TEST(Aime, ImprovesTheDemonstrationsElboThroughAFrozenModel) {
  Generator gen(1);
  auto config = oscillator_config(16, 4);
  models::WorldModel model(config, gen);
  // Phase 1 on random-action data.
  nn::AdamOptions wm_options;
  wm_options.lr = 3e-3;
  nn::Adam wm_adam(model.parameters(), wm_options);
  for (int step = 0; step < 200; ++step) {
    wm_adam.zero_grad();
    model.elbo(rollouts(false, 10, 16, gen), gen).loss.backward();
    wm_adam.step();
  }
  model.freeze();
  model.zero_grad(true);  // drop phase 1's gradients: none may appear in phase 2
  const std::vector<float> frozen = model.parameters()[0].to_vector<float>();
  // Phase 2: the policy sees only observations of the expert.
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 16, 2, gen);
  nn::AdamOptions p_options;
  p_options.lr = 3e-3;
  nn::Adam adam(policy.parameters(), p_options);
  Generator data(2);
  const Batch demos = rollouts(true, 10, 32, data);
  auto evaluate = [&] {
    Generator noise(3);
    NoGradGuard no_grad;
    return aime_objective(model, policy, demos, noise);
  };
  const AimeTerms before = evaluate();
  for (int step = 0; step < 150; ++step) {
    adam.zero_grad();
    const AimeTerms terms = aime_objective(model, policy, demos, gen);
    terms.loss.backward();
    nn::clip_grad_norm_(policy.parameters(), 100.0);
    adam.step();
    for (const auto& p : model.parameters()) ASSERT_FALSE(p.grad().defined());  // frozen: no gradient
  }
  const AimeTerms after = evaluate();
  std::printf("demonstrations' ELBO %.2f -> %.2f, action MSE against the expert's (unseen) actions %.4f -> %.4f\n",
              before.elbo.elbo.item(), after.elbo.elbo.item(), before.action_mse.item(), after.action_mse.item());
  EXPECT_GT(after.elbo.elbo.item(), before.elbo.elbo.item() + 1.0)
      << "before " << before.elbo.elbo.item() << " after " << after.elbo.elbo.item();
  EXPECT_LT(after.action_mse.item(), before.action_mse.item())
      << "action MSE before " << before.action_mse.item() << " after " << after.action_mse.item();
  EXPECT_EQ(model.parameters()[0].to_vector<float>(), frozen);
  EXPECT_EQ(after.actions.shape(), (Shape{10, 32, 1}));
}

// The policy's loss is reconstruction_loss + kl_scale * kl_loss: by default with the model's
// own kl_scale (the original), or with the weight asked for (0: reconstruction only, 1: the
// true ELBO of a model trained as a beta-VAE); kl_only keeps only the scaled true KL.
TEST(Aime, KlScaleWeighsTheKlTermOfThePolicysLoss) {
  Generator gen(1);
  auto config = oscillator_config(8, 3);
  config.kl_scale = 0.25;
  models::WorldModel model(config, gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  Generator data(2);
  const Batch demos = rollouts(true, 6, 4, data);
  auto loss_with = [&](AimeOptions o) {
    Generator noise(3);
    NoGradGuard no_grad;
    return aime_objective(model, policy, demos, noise, o);
  };
  const AimeTerms base = loss_with({});
  const double rec = base.elbo.reconstruction_loss.item(), kl = base.elbo.kl_loss.item();
  EXPECT_GT(kl, 0.0);
  EXPECT_NEAR(base.loss.item(), rec + 0.25 * kl, 1e-4 * std::fabs(rec + kl));
  EXPECT_NEAR(base.loss.item(), base.elbo.loss.item(), 1e-4 * std::fabs(rec + kl));  // no heads in AIME's ELBO
  AimeOptions o;
  o.kl_scale = 0.0;
  EXPECT_NEAR(loss_with(o).loss.item(), rec, 1e-4 * std::fabs(rec));
  o.kl_scale = 1.0;
  EXPECT_NEAR(loss_with(o).loss.item(), rec + kl, 1e-4 * std::fabs(rec + kl));
  o.kl_only = true;
  const AimeTerms kl_only = loss_with(o);
  // kl_only weighs the KL as the full objective does (the original's kl_loss: under
  // dim_wise, times the decoders' mean detached std), from the std networks alone.
  EXPECT_NEAR(kl_only.loss.item(), kl, 1e-4 * std::fabs(kl));
  EXPECT_GT(std::fabs(kl - base.elbo.kl.item()), 1e-3 * std::fabs(kl));  // not the raw KL here (smlp decoders)
  EXPECT_NEAR(kl_only.elbo.kl.item(), base.elbo.kl.item(), 1e-4 * std::fabs(kl));
  EXPECT_FALSE(kl_only.elbo.elbo.defined());  // no decoder ran
  EXPECT_TRUE(kl_only.elbo.reconstruction.empty());
}

// The policy's gradient of the objective, flattened, and the loss, from a fresh noise stream.
std::pair<double, std::vector<double>> loss_and_gradient(const models::WorldModel& model, models::TanhGaussianPolicy& policy,
                                                         const Batch& demos, const AimeOptions& o) {
  policy.zero_grad(true);
  Generator noise(6);
  const AimeTerms t = aime_objective(model, policy, demos, noise, o);
  t.loss.backward();
  std::vector<double> grad;
  for (const Tensor& p : policy.parameters()) {
    const auto g = p.grad().defined() ? p.grad().to_vector<double>() : std::vector<double>(static_cast<std::size_t>(p.numel()));
    grad.insert(grad.end(), g.begin(), g.end());
  }
  return {t.loss.item(), grad};
}

// A float64 RSSMO (or RSSM) for the oscillator with an IDM head, without the reweighting
// (whose detached std is a stop-gradient by design, so finite differences do not see it).
std::unique_ptr<models::WorldModel> float64_model(const std::string& kind, Generator& gen) {
  auto config = models::WorldModelConfig::original(kind, models::Setup::MDP, {{"position", {1}}, {"velocity", {1}}}, 1);
  config.rssm.deterministic_size = config.rssmo.deterministic_size = 8;
  config.rssm.stochastic_size = config.rssmo.stochastic_size = 3;
  config.rssm.hidden_size = config.rssmo.hidden_size = config.head_hidden_size = 8;
  config.nll_reweight = distributions::NllReweight::None;
  auto model = std::make_unique<models::WorldModel>(config, gen);
  model->to(kFloat64);
  model->freeze();
  return model;
}

// The policy gradient of every variant matches central differences of the loss in float64,
// without KL balancing; with it (the model's own alpha, RSSMO's 0.8) the gradient is the
// balance of the two one-sided gradients, alpha g(1) + (1 - alpha) g(0), whose sum g(1) +
// g(0) is the plain KL's, checked against finite differences in turn.
TEST(Aime, PolicyGradientsMatchFiniteDifferencesInFloat64) {
  for (const std::string kind : {"rssm", "rssmo"}) {
    Generator gen(8);
    const auto owned = float64_model(kind, gen);
    const models::WorldModel& model = *owned;
    models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
    policy.to(kFloat64);
    Generator data(9);
    Batch demos = rollouts(true, 5, 3, data);
    for (const auto& key : demos.keys()) demos.set(key, demos.at(key).to(kFloat64));
    for (int variant = 0; variant < 4; ++variant) {
      AimeOptions o;
      o.kl_only = variant % 2 == 1;
      o.use_idm = variant >= 2;
      o.kl_rebalance = -1.0;
      const std::string what = kind + " variant " + std::to_string(variant);
      const auto [loss, grad] = loss_and_gradient(model, policy, demos, o);
      // Central differences on 12 parameters spread over the policy (both heads).
      std::vector<Tensor> params = policy.parameters();
      std::size_t offset = 0, checked = 0;
      for (Tensor& p : params) {
        for (std::int64_t i : {std::int64_t{0}, p.numel() / 2, p.numel() - 1}) {
          double* x = p.data<double>() + i;
          const double x0 = *x, eps = 1e-6;
          *x = x0 + eps;
          const double up = loss_and_gradient(model, policy, demos, o).first;
          *x = x0 - eps;
          const double down = loss_and_gradient(model, policy, demos, o).first;
          *x = x0;
          const double numeric = (up - down) / (2 * eps), analytic = grad[offset + static_cast<std::size_t>(i)];
          EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::fabs(numeric)) << what << " parameter element " << offset + i;
          ++checked;
        }
        offset += static_cast<std::size_t>(p.numel());
      }
      EXPECT_EQ(checked, 3 * params.size());
      if (kind != "rssmo") continue;
      // Balancing: same value, the balanced gradient.
      o.kl_rebalance = models::ElboOptions::kModel;  // RSSMO's 0.8
      const auto [balanced_loss, balanced] = loss_and_gradient(model, policy, demos, o);
      o.kl_rebalance = 1.0;
      const auto g1 = loss_and_gradient(model, policy, demos, o).second;
      o.kl_rebalance = 0.0;
      const auto g0 = loss_and_gradient(model, policy, demos, o).second;
      EXPECT_NEAR(balanced_loss, loss, 1e-9 * std::fabs(loss)) << what;
      double differs = 0;
      for (std::size_t k = 0; k < grad.size(); ++k) {
        // The loss is rec + alpha KL(sg q || p) + (1 - alpha) KL(q || sg p): linear in alpha.
        EXPECT_NEAR(balanced[k], 0.8 * g1[k] + 0.2 * g0[k], 1e-9 + 1e-7 * std::fabs(balanced[k])) << what << " " << k;
        // With the KL alone, the two one-sided gradients add up to the plain one.
        if (variant == 1) {
          EXPECT_NEAR(g1[k] + g0[k], grad[k], 1e-9 + 1e-7 * std::fabs(grad[k])) << what << " " << k;
        }
        differs = std::max(differs, std::fabs(balanced[k] - grad[k]));
      }
      if (o.use_idm) {  // the actions are the IDM's: the model's KL gives the policy no gradient
        EXPECT_EQ(differs, 0.0) << what;
      } else {
        EXPECT_GT(differs, 1e-6) << what << ": balancing should change the gradient";
      }
    }
  }
}

// The probes' NLL is part of the loss's value, as the original logs it (no gradient: the
// features are detached and the model frozen), and reported apart; kl_only has none.
TEST(Aime, TheLossHoldsTheProbesTerm) {
  Generator gen(1);
  auto config = models::WorldModelConfig::original("rssm", models::Setup::LPOMDP, {{"position", {1}}, {"velocity", {1}}}, 1);
  config.rssm.deterministic_size = config.rssm.hidden_size = config.head_hidden_size = 8;
  config.rssm.stochastic_size = 3;
  models::WorldModel model(config, gen);
  model.freeze();
  ASSERT_EQ(config.probes.size(), 1u);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  Generator data(2);
  const Batch demos = rollouts(true, 6, 4, data);
  Generator noise(3);
  const AimeTerms t = aime_objective(model, policy, demos, noise, {});
  ASSERT_TRUE(t.probe_loss.count("velocity"));
  const double probe = t.probe_loss.at("velocity").item();
  EXPECT_NEAR(t.loss.item(), t.elbo.reconstruction_loss.item() + t.elbo.kl_loss.item() + probe, 1e-4 * std::fabs(t.loss.item()));
  t.loss.backward();  // the probe adds nothing to the policy's gradient, and runs backward cleanly
  AimeOptions kl_only;
  kl_only.kl_only = true;
  Generator noise2(3);
  EXPECT_TRUE(aime_objective(model, policy, demos, noise2, kl_only).probe_loss.empty());
  // Demonstrations without the probe's sensor: no probe term, no error.
  Batch without = demos;
  without.erase("velocity");
  Generator noise3(3);
  EXPECT_TRUE(aime_objective(model, policy, without, noise3, {}).probe_loss.empty());
}

// benchmarks/aime_step --dump writes what aime's phase-2 code computes: reread one dump and
// recompute every variant from its weights, policy, batch and noise seed.
TEST(Aime, TheStepDumpIsWhatTheObjectiveComputes) {
#ifndef AIME_STEP_BINARY
  GTEST_SKIP() << "benchmarks not built (AIME_BUILD_BENCHMARKS=OFF)";
#else
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aime_step_dump_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cmd = std::string(AIME_STEP_BINARY) + " --model rssmo --setup mdp --batch 3 --horizon 5 --dtype float64 " +
                          "--config " + AIME_SOURCE_DIR + "/configs/small.ini --dump " + dir.string() + " 2> /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nn::SafetensorsFile weights = nn::load_safetensors((dir / "weights.safetensors").string());
  const nn::SafetensorsFile policy_file = nn::load_safetensors((dir / "policy.safetensors").string());
  const nn::SafetensorsFile batch = nn::load_safetensors((dir / "batch.safetensors").string());
  EXPECT_EQ(weights.metadata.at("check.dtype"), "float64");
  Generator gen(0);
  models::WorldModel model(models::WorldModelConfig::from_metadata(weights.metadata), gen);
  model.to(kFloat64);
  model.load_state_dict(weights.tensors);
  model.freeze();
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), model.config().action_size,
                                    std::stoll(policy_file.metadata.at("policy.hidden_size")),
                                    std::stoll(policy_file.metadata.at("policy.hidden_layers")), gen);
  policy.to(kFloat64);
  policy.load_state_dict(policy_file.tensors);
  for (const std::string variant : {"plain", "klonly", "idm", "idm_klonly"}) {
    const nn::SafetensorsFile expected = nn::load_safetensors((dir / ("expected_" + variant + ".safetensors")).string());
    AimeOptions o;
    o.kl_only = variant.find("klonly") != std::string::npos;
    o.use_idm = variant.rfind("idm", 0) == 0;
    policy.zero_grad(true);
    Generator noise(std::stoull(weights.metadata.at("check.noise_seed")));
    const AimeTerms t = aime_objective(model, policy, batch.tensors, noise, o);
    t.loss.backward();
    EXPECT_EQ(t.loss.item(), expected.tensors.at("loss").item()) << variant;
    EXPECT_EQ(t.elbo.kl.item(), expected.tensors.at("kl").item()) << variant;
    EXPECT_EQ(t.actions.to_vector<double>(), expected.tensors.at("actions").to_vector<double>()) << variant;
    EXPECT_TRUE(expected.tensors.find("reconstruction_loss")) << variant;
    for (const auto& [name, p] : policy.named_parameters())
      EXPECT_EQ(p.grad().to_vector<double>(), expected.tensors.at("grad." + name).to_vector<double>()) << variant << " " << name;
  }
  fs::remove_all(dir);
#endif
}

// train_aime embeds the demonstrations once (embed_demonstrations): the same windows, and
// the same objective to float rounding as embedding each batch, for the full objective and
// for kl_only (whose dataset keeps only the embedding and pre_action).
TEST(Aime, ObjectiveOnDemonstrationsEmbeddedOnceEqualsEmbeddingEachBatch) {
  Generator gen(1);
  models::WorldModel model(oscillator_config(8, 3), gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  Generator data_gen(2);
  const Batch rolled = rollouts(true, 12, 3, data_gen);
  std::vector<data::Episode> episodes;
  for (std::int64_t b = 0; b < 3; ++b) {
    data::Episode e;
    for (const auto& [key, t] : rolled) e.set(key, t.select(1, b).contiguous());
    episodes.push_back(e);
  }
  data::SequenceDatasetOptions dso;
  dso.horizon = 5;
  const data::SequenceDataset demos(episodes, {"a", "b", "c"}, dso);
  const std::vector<data::SequenceDataset::Window> windows{{0, 0}, {2, 7}, {1, 3}};
  const Batch raw = demos.collate(windows);
  for (const bool kl_only : {false, true}) {
    const data::SequenceDataset embedded = embed_demonstrations(model, demos, !kl_only);
    ASSERT_EQ(embedded.num_windows(), demos.num_windows());
    const std::vector<std::string> expected_keys =
        kl_only ? std::vector<std::string>{"pre_action", kEmbeddingKey}
                : std::vector<std::string>{"position", "velocity", "pre_action", kEmbeddingKey};  // the batch's order
    EXPECT_EQ(embedded.keys(), expected_keys);
    const Batch cached = embedded.collate(windows);
    AimeOptions o;
    o.kl_only = kl_only;
    NoGradGuard no_grad;
    Generator n1(3), n2(3);
    const AimeTerms a = aime_objective(model, policy, raw, n1, o), b = aime_objective(model, policy, cached, n2, o);
    EXPECT_NEAR(a.loss.item(), b.loss.item(), 1e-5 * std::fabs(a.loss.item())) << "kl_only " << kl_only;
    EXPECT_NEAR(a.action_mse.item(), b.action_mse.item(), 1e-6);
  }
  // A dataset that already holds the reserved key is refused, naming the episode.
  std::vector<data::Episode> clash = episodes;
  for (auto& e : clash) e.set(kEmbeddingKey, e.at("position").data);
  try {
    embed_demonstrations(model, data::SequenceDataset(clash, {"a", "b", "c"}, dso), true);
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("a: key 'embedding' is reserved"), std::string::npos) << e.what();
  }
}

// oracle_actions, a check and not AIME: the filter reads the recorded actions (so the policy
// cannot move the ELBO), the loss is the policy's squared error against them, and the actions
// returned are the policy's own modes. Asking for it without recorded actions is an error.
TEST(Aime, OracleActionsRegressTheRecordedActionsFromTheFilteredState) {
  Generator gen(1);
  auto config = oscillator_config(8, 3);
  models::WorldModel model(config, gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 8, 2, gen);
  Generator data(2);
  const Batch demos = rollouts(true, 6, 4, data);
  AimeOptions o;
  o.oracle_actions = true;
  Generator noise(3);
  const AimeTerms terms = aime_objective(model, policy, demos, noise, o);
  const Tensor recorded = demos.at("pre_action");
  const double expected = sum(mean(sum(square(terms.actions.detach() - recorded), {-1}), {1})).item();
  EXPECT_NEAR(terms.loss.item(), expected, 1e-5 * (1.0 + expected));
  EXPECT_GT(terms.loss.item(), 0.0);
  EXPECT_LE(max(abs(terms.actions.detach())).item(), 1.0);  // tanh(mean): modes, not the recorded values
  terms.loss.backward();
  double grad_norm = 0.0;
  for (const auto& p : policy.parameters())
    if (p.grad().defined()) grad_norm += sum(square(p.grad())).item();
  EXPECT_GT(grad_norm, 0.0);
  // The filter saw the recorded actions: its ELBO does not depend on the policy.
  models::TanhGaussianPolicy other(model.ssm().feature_size(), 1, 8, 2, gen);
  Generator noise_again(3);
  NoGradGuard no_grad;
  const AimeTerms again = aime_objective(model, other, demos, noise_again, o);
  EXPECT_NEAR(again.elbo.elbo.item(), terms.elbo.elbo.item(), 1e-4 * (1.0 + std::fabs(terms.elbo.elbo.item())));
  Batch unlabelled = demos;
  unlabelled.erase("pre_action");
  EXPECT_THROW(aime_objective(model, policy, unlabelled, noise, o), ValueError);
  o.use_idm = true;
  EXPECT_THROW(aime_objective(model, policy, demos, noise, o), ValueError);
}

}  // namespace
}  // namespace aime::algorithms
