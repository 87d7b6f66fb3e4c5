// Dreamer: an agent that learns to act inside the world model's imagination (Hafner et al.
// 2020), as the original trains it (scripts/train_dreamer.py; the facts, with the order of
// operations, in ../shared/reference/dreamer-facts.md and docs/dreamer.md). One iteration:
//   a. the world model's step on a batch [T, B] of replayed windows: the ELBO of
//      models/world_model.h, the reward being one more output sensor (the reward head);
//   b. every posterior state of that batch (T*B of them, detached) starts an imagination;
//   c. H = 15 prior steps under the actor, a_k = tanh(mu + sigma eps) from pi(sg f(s_{k-1})),
//      s_k ~ p(. | s_{k-1}, a_k), reparameterised: the actor's gradient flows back through
//      the imagined states and the reward head, never into the model (frozen for this step);
//   d. r_k = mean of the reward head at f_k, V_k = vnet(f_k) / (1 - gamma), lambda-returns
//      R_k (lambda_returns below);
//   e. actor:  L_pi = -mean_{k<H-1} gamma^(k+1) R_k + eta * mean_k sum_a KL(N(mu, sigma) || N(0, 0.88));
//   f. value:  L_v  = 1/2 mean_{k<H-1} (vnet(sg f_k) - (1 - gamma) sg R_k)^2.
// Three Adam optimisers (model 3e-4, actor and value 8e-5), each clipping its own gradient
// norm at 100. The schedule around it (prefill, pretraining, epochs of updates then one
// episode) is train_dreamer's.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "envs/environment.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"
#include "nn/mlp.h"

namespace aime::algorithms {

// The lambda-returns of an imagined trajectory (the original's lambda_return, with a constant
// discount: there is no continuation head). rewards and values [H, ...] hold r_0..r_{H-1}
// and V_0..V_{H-1}; the result [H-1, ...] holds
//   R_{H-2} = r_{H-2} + gamma V_{H-1},
//   R_k     = r_k + gamma ((1 - lambda) V_{k+1} + lambda R_{k+1}),   k = H-3 .. 0.
// r_{H-1} and V_0 are not used. Differentiable in both.
Tensor lambda_returns(const Tensor& rewards, const Tensor& values, double gamma, double lambda);

// The actor's entropy term per state: sum_a KL(N(mu_a, sigma_a) || N(0, target_std)) of the
// tanh-Gaussian's base, [..., A] -> [...]. Minimised, it keeps the actions wide and centred.
Tensor action_prior_kl(const distributions::TanhNormal& action, double target_std = 0.88);

struct DreamerConfig {
  // "dreamer": the reward head's extrinsic reward; "plan2explore": no reward head, the
  // intrinsic reward of an ensemble's disagreement (Sekar et al. 2020; dreamer-facts.md §8):
  //   heads j = 1..K: (sg f_t, a_{t+1}) -> e_{t+1}, each an ELU MLP, trained with the model
  //   (the sum over heads of each one's mean squared error to sg e_{t+1});
  //   r_k = (1/E) sum_d log Var_j(head_j(f(s_{k-1}), a_k)_d), the unbiased variance.
  std::string algo = "dreamer";
  std::int64_t ensemble_size = 5;
  std::int64_t ensemble_hidden_size = 1024, ensemble_hidden_layers = 2;
  std::int64_t imagination_horizon = 15;
  double gamma = 0.99;
  double lambda = 0.95;
  double entropy_scale = 1e-4;
  double model_lr = 3e-4;
  double actor_lr = 8e-5;
  double value_lr = 8e-5;
  double grad_clip = 100.0;
  // The actor (a TanhGaussianPolicy) and the value MLP (ELU, linear output): width x layers.
  std::int64_t actor_hidden_size = 128, actor_hidden_layers = 2;
  std::int64_t value_hidden_size = 128, value_hidden_layers = 2;

  nn::Metadata to_metadata() const;  // keys "dreamer.*"
  static DreamerConfig from_metadata(const nn::Metadata& metadata);
  void validate() const;  // ValueError naming the field
};

// The world model (Dreamer: with a reward head, the sensor "reward" among its outputs), the
// ensemble (Plan2Explore), the actor and the value network; owns them all.
struct DreamerAgent {
  DreamerAgent(const models::WorldModelConfig& model_config, const DreamerConfig& config, Generator& gen);
  bool explores() const { return config.algo == "plan2explore"; }
  // Every parameter the model's optimiser updates: the world model's, and the ensemble's.
  std::vector<Tensor> model_parameters() const;
  // The ensemble's loss on a batch's posterior features [T, B, F], actions (pre_action
  // [T, B, A]) and embeddings [T, B, E], all taken detached; undefined for Dreamer.
  Tensor ensemble_loss(const Tensor& features, const Tensor& pre_action, const Tensor& embeddings) const;
  // The disagreement reward [..., 1] of inputs [..., F + A].
  Tensor intrinsic_reward(const Tensor& inputs) const;
  DreamerConfig config;
  std::unique_ptr<models::WorldModel> model;
  std::vector<std::shared_ptr<nn::MLP>> ensemble;
  std::shared_ptr<models::TanhGaussianPolicy> actor;
  std::shared_ptr<nn::MLP> value;
};

// A world-model config with the reward head added: `config` plus the output sensor
// "reward" [1] (a vector decoder of the model's kind: smlp for RSSM, dmlp for RSSMO).
models::WorldModelConfig with_reward_head(models::WorldModelConfig config);

// What one imagination from a batch of start states gives.
struct ImaginationTerms {
  Tensor actor_loss;      // scalar (e)
  Tensor returns;         // [H-1, N, 1] lambda-returns, detached: the value's targets
  Tensor features;        // [H, N, F] imagined features, detached: the value's inputs
  Tensor action_kl;       // scalar: mean_k mean_n sum_a KL (the entropy term before its scale)
  Tensor reward;          // scalar: mean imagined reward (extrinsic, or the disagreement)
};

// Steps b-e from detached start states [N, .] (the caller freezes model and value when only
// the actor is to get gradients, as train_dreamer does).
ImaginationTerms imagine_actor_loss(const DreamerAgent& agent, const models::State& starts, Generator& gen);

// Step f: the value loss on the detached imagination.
Tensor value_loss(const DreamerAgent& agent, const ImaginationTerms& imagination);

struct DreamerTrainingOptions {
  std::string env;                       // a built-in environment (envs::environment_names())
  envs::EnvironmentOptions env_options;  // render is set by the setup: images only for visual
  models::Setup setup = models::Setup::MDP;
  std::string out_dir;
  bool resume = false;
  std::uint64_t seed = 42;
  // The original's schedule (dreamer-facts.md §2).
  std::int64_t prefill_episodes = 5;
  std::int64_t pretrain_updates = 100;
  std::int64_t epochs = 995;
  std::int64_t updates_per_epoch = 100;
  std::int64_t batch_size = 50;
  std::int64_t horizon = 50;
  std::int64_t eval_every = 10;   // epochs between test episodes (and policy/model folders)
  std::int64_t eval_episodes = 1;
  // Gaussian noise added to the training episodes' actions (the original's epsilon: 0).
  double exploration_noise = 0.0;
  DreamerConfig dreamer;
  // The world model from the first prefill episode's sensors and the action size (the
  // reward head is added by the trainer). Not called on resume: the checkpoint holds it.
  std::function<models::WorldModelConfig(const std::vector<models::SensorSpec>&, std::int64_t)> model_config;
};

struct DreamerProgress {
  std::int64_t epoch = 0, epochs = 0;  // epochs done of all
  double train_return = 0.0;           // the last training episode's
  double test_return = -1.0;           // the last test episode's mean (< 0: none yet)
  double seconds = 0.0;                // this epoch's wall time
};

struct DreamerResult {
  std::int64_t epochs = 0;
  double last_test_return = -1.0;
  bool already_finished = false;  // resumed a run that had done every epoch
};

// The whole run: prefill with random episodes, pretrain the model, then each epoch
// `updates_per_epoch` iterations and one training episode; every eval_every epochs test
// episodes. The folder (out_dir):
//   train_trajectories/<i>.npz  every training episode in the original's layout (a buffer
//                               dataset: the prefill's random ones first);
//   test_trajectories/<e>.npz   the test episodes (rendered), by epoch;
//   metrics.csv, test.csv       per epoch and per test;
//   agent.safetensors           the whole state for --resume (weights, the three Adams, the
//                               noise offset, the epoch), one atomic file, every epoch;
//   model/, policy/             at each test: the world model as a model folder (aime
//                               imitate --model) and the actor as an aime policy folder
//                               (aime evaluate / aime collect --policy).
// Resuming continues exactly (bit-identical on the CPU) from the last epoch saved; episodes
// written after it are dropped and collected again.
DreamerResult train_dreamer(const DreamerTrainingOptions& options,
                            const std::function<void(const DreamerProgress&)>& progress = {});

}  // namespace aime::algorithms
