#include "algorithms/dreamer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "algorithms/checkpoint.h"
#include "algorithms/evaluation.h"
#include "algorithms/metrics_log.h"
#include "algorithms/model_training.h"
#include "algorithms/policy_actor.h"
#include "algorithms/policy_checkpoint.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"
#include "nn/flat_parameters.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

Tensor lambda_returns(const Tensor& rewards, const Tensor& values, double gamma, double lambda) {
  const std::int64_t H = rewards.size(0);
  if (H < 2 || values.size(0) != H)
    throw ValueError("lambda_returns: rewards and values need the same length >= 2, got " +
                     shape_str(rewards.shape()) + " and " + shape_str(values.shape()));
  std::vector<Tensor> returns(static_cast<std::size_t>(H - 1));
  returns[static_cast<std::size_t>(H - 2)] = rewards.select(0, H - 2) + gamma * values.select(0, H - 1);
  for (std::int64_t k = H - 3; k >= 0; --k)
    returns[static_cast<std::size_t>(k)] =
        rewards.select(0, k) +
        gamma * ((1.0 - lambda) * values.select(0, k + 1) + lambda * returns[static_cast<std::size_t>(k + 1)]);
  return stack(returns, 0);
}

// Per dimension, KL(N(mu, s) || N(0, c)) = log(c / s) + (s^2 + mu^2) / (2 c^2) - 1/2.
Tensor action_prior_kl(const distributions::TanhNormal& action, double target_std) {
  const Tensor& mu = action.base().loc();
  const Tensor& s = action.base().scale();
  const Tensor per_dim = (std::log(target_std) - log(s)) + (square(s) + square(mu)) * (0.5 / (target_std * target_std)) - 0.5;
  return sum(per_dim, {-1});
}

// ---- configuration ----

namespace {
// A double as metadata text that reads back to the same double.
std::string exact_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return std::string(text);
}
}  // namespace

nn::Metadata DreamerConfig::to_metadata() const {
  const auto num = exact_number;
  return {{"dreamer.algo", algo},
          {"dreamer.ensemble_size", std::to_string(ensemble_size)},
          {"dreamer.ensemble_hidden_size", std::to_string(ensemble_hidden_size)},
          {"dreamer.ensemble_hidden_layers", std::to_string(ensemble_hidden_layers)},
          {"dreamer.imagination_horizon", std::to_string(imagination_horizon)},
          {"dreamer.gamma", num(gamma)},
          {"dreamer.lambda", num(lambda)},
          {"dreamer.entropy_scale", num(entropy_scale)},
          {"dreamer.model_lr", num(model_lr)},
          {"dreamer.actor_lr", num(actor_lr)},
          {"dreamer.value_lr", num(value_lr)},
          {"dreamer.grad_clip", num(grad_clip)},
          {"dreamer.actor_hidden_size", std::to_string(actor_hidden_size)},
          {"dreamer.actor_hidden_layers", std::to_string(actor_hidden_layers)},
          {"dreamer.value_hidden_size", std::to_string(value_hidden_size)},
          {"dreamer.value_hidden_layers", std::to_string(value_hidden_layers)}};
}

DreamerConfig DreamerConfig::from_metadata(const nn::Metadata& m) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = m.find(key);
    if (it == m.end()) throw ValueError("the agent's metadata has no '" + key + "'");
    return it->second;
  };
  auto real = [&](const std::string& key) {
    try {
      return std::stod(get(key));
    } catch (const std::logic_error&) {
      throw ValueError("the agent's metadata: '" + key + "' is not a number: '" + get(key) + "'");
    }
  };
  auto integer = [&](const std::string& key) { return metadata_integer(m, key, "the agent's metadata"); };
  DreamerConfig c;
  c.algo = get("dreamer.algo");
  c.ensemble_size = integer("dreamer.ensemble_size");
  c.ensemble_hidden_size = integer("dreamer.ensemble_hidden_size");
  c.ensemble_hidden_layers = integer("dreamer.ensemble_hidden_layers");
  c.imagination_horizon = integer("dreamer.imagination_horizon");
  c.gamma = real("dreamer.gamma");
  c.lambda = real("dreamer.lambda");
  c.entropy_scale = real("dreamer.entropy_scale");
  c.model_lr = real("dreamer.model_lr");
  c.actor_lr = real("dreamer.actor_lr");
  c.value_lr = real("dreamer.value_lr");
  c.grad_clip = real("dreamer.grad_clip");
  c.actor_hidden_size = integer("dreamer.actor_hidden_size");
  c.actor_hidden_layers = integer("dreamer.actor_hidden_layers");
  c.value_hidden_size = integer("dreamer.value_hidden_size");
  c.value_hidden_layers = integer("dreamer.value_hidden_layers");
  c.validate();
  return c;
}

void DreamerConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw ValueError("dreamer." + what);
  };
  need(algo == "dreamer" || algo == "plan2explore", "algo must be dreamer or plan2explore, got '" + algo + "'");
  need(ensemble_size >= 2 && ensemble_size <= 64, "ensemble_size must be in [2, 64], got " + std::to_string(ensemble_size));
  need(imagination_horizon >= 2 && imagination_horizon <= 1000,
       "imagination_horizon must be in [2, 1000], got " + std::to_string(imagination_horizon));
  need(gamma > 0 && gamma < 1, "gamma must be in (0, 1), got " + std::to_string(gamma));
  need(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got " + std::to_string(lambda));
  need(entropy_scale >= 0 && std::isfinite(entropy_scale), "entropy_scale must be >= 0");
  need(model_lr > 0 && actor_lr > 0 && value_lr > 0, "model_lr, actor_lr and value_lr must be > 0");
  for (auto [n, v] : {std::pair<const char*, std::int64_t>{"actor_hidden_size", actor_hidden_size},
                      {"value_hidden_size", value_hidden_size},
                      {"ensemble_hidden_size", ensemble_hidden_size}})
    need(v >= 1 && v <= (1 << 20), std::string(n) + " must be in [1, 2^20], got " + std::to_string(v));
  for (auto [n, v] : {std::pair<const char*, std::int64_t>{"actor_hidden_layers", actor_hidden_layers},
                      {"value_hidden_layers", value_hidden_layers},
                      {"ensemble_hidden_layers", ensemble_hidden_layers}})
    need(v >= 0 && v <= 64, std::string(n) + " must be in [0, 64], got " + std::to_string(v));
}

models::WorldModelConfig with_reward_head(models::WorldModelConfig config) {
  for (const auto& s : config.outputs)
    if (s.name == "reward") return config;
  config.outputs.push_back({"reward", {1}});
  return config;
}

namespace {
// The world model an agent trains: Dreamer's with a reward head, Plan2Explore's without one
// (the original removes it before training).
models::WorldModelConfig agent_model_config(models::WorldModelConfig mc, const DreamerConfig& c) {
  if (c.algo != "plan2explore") return with_reward_head(mc);
  mc.outputs.erase(std::remove_if(mc.outputs.begin(), mc.outputs.end(),
                                  [](const models::SensorSpec& s) { return s.name == "reward"; }),
                   mc.outputs.end());
  return mc;
}
}  // namespace

DreamerAgent::DreamerAgent(const models::WorldModelConfig& model_config, const DreamerConfig& c, Generator& gen)
    : config(c) {
  config.validate();
  model = std::make_unique<models::WorldModel>(agent_model_config(model_config, config), gen);
  const std::int64_t F = model->ssm().feature_size();
  if (explores())
    for (std::int64_t j = 0; j < c.ensemble_size; ++j)
      ensemble.push_back(std::make_shared<nn::MLP>(
          nn::mlp_options(F + model_config.action_size, model->ssm().embedding_size(), c.ensemble_hidden_size,
                          c.ensemble_hidden_layers),
          gen));
  actor = std::make_shared<models::TanhGaussianPolicy>(F, model_config.action_size, c.actor_hidden_size,
                                                       c.actor_hidden_layers, gen);
  value = std::make_shared<nn::MLP>(nn::mlp_options(F, 1, c.value_hidden_size, c.value_hidden_layers), gen);
}

std::vector<Tensor> DreamerAgent::model_parameters() const {
  std::vector<Tensor> out = model->parameters();
  for (const auto& head : ensemble)
    for (const auto& p : head->parameters()) out.push_back(p);
  return out;
}

Tensor DreamerAgent::ensemble_loss(const Tensor& features, const Tensor& pre_action, const Tensor& embeddings) const {
  if (ensemble.empty()) return Tensor();
  const std::int64_t T = features.size(0);
  const Tensor input = cat({features.narrow(0, 0, T - 1).detach(), pre_action.narrow(0, 1, T - 1)}, -1);
  const Tensor target = embeddings.narrow(0, 1, T - 1).detach();
  Tensor loss;
  for (const auto& head : ensemble) {
    const Tensor l = mean(square(head->forward(input) - target));
    loss = loss.defined() ? loss + l : l;
  }
  return loss;
}

Tensor DreamerAgent::intrinsic_reward(const Tensor& inputs) const {
  std::vector<Tensor> predictions;
  for (const auto& head : ensemble) predictions.push_back(head->forward(inputs));
  const Tensor p = stack(predictions, 0);  // [K, ..., E]
  const double K = static_cast<double>(ensemble.size());
  const Tensor variance = sum(square(p - mean(p, {0}, true)), {0}) * (1.0 / (K - 1.0));
  return mean(log(variance), {-1}, true);
}

// ---- one iteration's imagination ----

ImaginationTerms imagine_actor_loss(const DreamerAgent& agent, const models::State& starts, Generator& gen) {
  const DreamerConfig& c = agent.config;
  const models::WorldModel& model = *agent.model;
  std::vector<Tensor> kls, disagreement_inputs;
  // The actor sees the state detached (the original's policy input), so its gradient reaches
  // it only through the actions' effect on the imagined states, rewards and values.
  auto act = [&](const models::State& previous, std::int64_t, Generator& g) -> Tensor {
    const Tensor feature = previous.feature();
    const auto pi = agent.actor->forward(feature.detach());
    kls.push_back(action_prior_kl(*pi));
    Tensor action = pi->rsample(g);
    if (agent.explores()) disagreement_inputs.push_back(cat({feature, action}, -1));  // (f(s_{k-1}), a_k)
    return action;
  };
  const models::FilterOutput imagined =
      model.ssm().rollout(starts, models::ActionSource::from_policy(act, c.imagination_horizon), gen);
  const Tensor features = imagined.features();  // [H, N, F]: f_0..f_{H-1}, the start excluded
  const Tensor rewards = agent.explores() ? agent.intrinsic_reward(stack(disagreement_inputs, 0))
                                          : model.decoders.at("reward")->forward(features)->mean();  // [H, N, 1]
  const Tensor values = agent.value->forward(features) * (1.0 / (1.0 - c.gamma));
  const Tensor returns = lambda_returns(rewards, values, c.gamma, c.lambda);  // [H-1, N, 1]
  // w_k = gamma^(k+1): the original's cumulative product starts at gamma.
  std::vector<double> w(static_cast<std::size_t>(c.imagination_horizon - 1));
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = std::pow(c.gamma, static_cast<double>(k + 1));
  const Tensor weights = tensor(w, {static_cast<std::int64_t>(w.size()), 1, 1}, returns.dtype()).to(returns.device());
  ImaginationTerms out;
  out.action_kl = mean(stack(kls, 0));
  out.actor_loss = -mean(weights * returns) + c.entropy_scale * out.action_kl;
  out.returns = returns.detach();
  out.features = features.detach();
  out.reward = mean(rewards.detach());
  return out;
}

Tensor value_loss(const DreamerAgent& agent, const ImaginationTerms& im) {
  const std::int64_t K = im.returns.size(0);
  const Tensor v = agent.value->forward(im.features.narrow(0, 0, K));
  return 0.5 * mean(square(v - (1.0 - agent.config.gamma) * im.returns));
}

// ---- the run ----

namespace {

const char* kAgentFile = "agent.safetensors";

std::string episode_path(const std::string& dir, std::int64_t i) {
  return (fs::path(dir) / (std::to_string(i) + ".npz")).string();
}

// The training episodes' seeds: episode i from derive_seed(seed, i); the test episodes
// from another stream (the original's test env is seeded 2 x seed).
std::uint64_t test_seed(std::uint64_t seed) { return envs::derive_seed(seed, 0x7e57ull); }

// Adds `noise_std` Gaussian noise to a policy's actions (the original's exploration epsilon).
class ExplorationNoise : public envs::Policy {
 public:
  ExplorationNoise(envs::Policy& base, double noise_std) : base_(base), std_(noise_std) {}
  std::string name() const override { return base_.name(); }
  void reset(std::uint64_t seed) override {
    Policy::reset(envs::derive_seed(seed, 1));
    base_.reset(seed);
  }
  std::vector<double> act(const envs::Observation& o) override {
    std::vector<double> a = base_.act(o);
    if (std_ > 0) {
      const Tensor eps = randn({static_cast<std::int64_t>(a.size())}, gen_, kFloat64);
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::fmax(-1.0, std::fmin(1.0, a[i] + std_ * eps.data<double>()[i]));
    }
    return a;
  }

 private:
  envs::Policy& base_;
  double std_;
};

void add_prefixed(nn::StateDict& out, const std::string& prefix, const nn::StateDict& in) {
  for (const auto& [k, t] : in) out.set(prefix + k, t);
}
nn::StateDict take_prefixed(const nn::StateDict& in, const std::string& prefix) {
  nn::StateDict out;
  for (const auto& [k, t] : in)
    if (k.compare(0, prefix.size(), prefix) == 0) out.set(k.substr(prefix.size()), t);
  return out;
}
nn::Metadata take_prefixed(const nn::Metadata& in, const std::string& prefix) {
  nn::Metadata out;
  for (const auto& [k, v] : in)
    if (k.compare(0, prefix.size(), prefix) == 0) out[k.substr(prefix.size())] = v;
  return out;
}

}  // namespace

DreamerResult train_dreamer(const DreamerTrainingOptions& o, const std::function<void(const DreamerProgress&)>& progress) {
  if (o.out_dir.empty()) throw ValueError("train_dreamer: out_dir is required");
  if (o.prefill_episodes < 1 || o.epochs < 0 || o.updates_per_epoch < 1 || o.batch_size < 1 || o.horizon < 2 ||
      o.eval_every < 1 || o.eval_episodes < 0 || o.pretrain_updates < 0)
    throw ValueError("train_dreamer: prefill_episodes, updates_per_epoch, batch_size and eval_every must be >= 1, "
                     "horizon >= 2, epochs, pretrain_updates and eval_episodes >= 0");
  if (!(o.exploration_noise >= 0)) throw ValueError("train_dreamer: exploration_noise must be >= 0");
  const std::string train_dir = (fs::path(o.out_dir) / "train_trajectories").string();
  const std::string test_dir = (fs::path(o.out_dir) / "test_trajectories").string();
  const std::string agent_path = (fs::path(o.out_dir) / kAgentFile).string();
  fs::create_directories(train_dir);
  fs::create_directories(test_dir);

  envs::EnvironmentOptions train_env_options = o.env_options, test_env_options = o.env_options;
  train_env_options.render = o.setup == models::Setup::Visual;  // the original renders only there
  test_env_options.render = true;
  auto env = envs::make_environment(o.env, train_env_options);
  auto test_env = envs::make_environment(o.env, test_env_options);

  // The buffer: every training episode, in memory, in collection order.
  std::vector<data::Episode> episodes;
  std::vector<std::string> names;
  auto add_episode = [&](data::Episode e, std::int64_t i, bool write) {
    if (write) data::save_episode(episode_path(train_dir, i), e);
    names.push_back(episode_path(train_dir, i));
    episodes.push_back(std::move(e));
  };

  // ---- the agent: built fresh (prefill, then the model from its sensors) or resumed ----
  std::unique_ptr<DreamerAgent> agent;
  std::unique_ptr<TrainingStep> model_step, actor_step, value_step;
  Generator noise = training_noise(o.seed);
  std::int64_t start_epoch = 0;
  bool resumed = false;
  auto make_steps = [&] {
    const DreamerConfig& c = agent->config;
    nn::flatten_parameters(agent->model_parameters());
    OptimizerGroup model_group{"model", agent->model_parameters(), {}, c.grad_clip};
    model_group.adam.lr = c.model_lr;
    OptimizerGroup actor_group{"actor", agent->actor->parameters(), {}, c.grad_clip};
    actor_group.adam.lr = c.actor_lr;
    OptimizerGroup value_group{"value", agent->value->parameters(), {}, c.grad_clip};
    value_group.adam.lr = c.value_lr;
    model_step = std::make_unique<TrainingStep>(std::vector<OptimizerGroup>{model_group});
    actor_step = std::make_unique<TrainingStep>(std::vector<OptimizerGroup>{actor_group});
    value_step = std::make_unique<TrainingStep>(std::vector<OptimizerGroup>{value_group});
  };
  nn::Metadata run_metadata = {{"train.env", o.env},
                               {"train.setup", models::setup_name(o.setup)},
                               {"train.algo", o.dreamer.algo},
                               {"train.seed", std::to_string(o.seed)},
                               {"train.action_repeat", std::to_string(o.env_options.action_repeat)},
                               {"train.episode_steps", std::to_string(o.env_options.episode_steps)},
                               {"train.renderer", o.env_options.renderer}};
  // The schedule's settings too, so that --resume refuses to go on under others (a run
  // resumed with another batch size or noise would not be the run it claims to be).
  // Checkpoints written before these keys existed resume without the check.
  const nn::Metadata schedule_metadata = {{"train.prefill_episodes", std::to_string(o.prefill_episodes)},
                                          {"train.pretrain_updates", std::to_string(o.pretrain_updates)},
                                          {"train.updates_per_epoch", std::to_string(o.updates_per_epoch)},
                                          {"train.batch_size", std::to_string(o.batch_size)},
                                          {"train.horizon", std::to_string(o.horizon)},
                                          {"train.eval_every", std::to_string(o.eval_every)},
                                          {"train.eval_episodes", std::to_string(o.eval_episodes)},
                                          {"train.exploration_noise", exact_number(o.exploration_noise)}};

  // The world model the caller's model_config builds from the first episode's sensors.
  auto requested_model_config = [&] {
    std::int64_t action_size = 0;
    const data::SequenceDataset first({episodes[0]}, {names[0]}, {});
    const auto sensors = dataset_sensors(first, &action_size);  // sets action_size
    return o.model_config(sensors, action_size);
  };

  if (o.resume && fs::exists(agent_path)) {
    const nn::SafetensorsFile file = nn::load_safetensors(agent_path);
    auto expect = [&](const std::string& key, const std::string& value) {
      auto it = file.metadata.find(key);
      const std::string found = it == file.metadata.end() ? "(none)" : it->second;
      if (found != value)
        throw ValueError(agent_path + ": " + key + " is " + found + ", this run has " + value +
                         "; resume with the run's own settings");
    };
    for (const auto& [k, v] : run_metadata) expect(k, v);
    for (const auto& [k, v] : schedule_metadata)
      if (file.metadata.count(k)) expect(k, v);
    for (const auto& [k, v] : o.dreamer.to_metadata()) expect(k, v);
    const auto model_config = models::WorldModelConfig::from_metadata(file.metadata);
    const auto dreamer_config = DreamerConfig::from_metadata(file.metadata);
    Generator gen(o.seed);
    agent = std::make_unique<DreamerAgent>(model_config, dreamer_config, gen);
    agent->model->load_state_dict(take_prefixed(file.tensors, "model."), true);
    agent->actor->load_state_dict(take_prefixed(file.tensors, "actor."), true);
    agent->value->load_state_dict(take_prefixed(file.tensors, "value."), true);
    for (std::size_t j = 0; j < agent->ensemble.size(); ++j)
      agent->ensemble[j]->load_state_dict(take_prefixed(file.tensors, "ensemble." + std::to_string(j) + "."), true);
    make_steps();
    model_step->optimizer(0).load_state_dict(take_prefixed(file.tensors, "optim.model."),
                                             take_prefixed(file.metadata, "optim.model."));
    actor_step->optimizer(0).load_state_dict(take_prefixed(file.tensors, "optim.actor."),
                                             take_prefixed(file.metadata, "optim.actor."));
    value_step->optimizer(0).load_state_dict(take_prefixed(file.tensors, "optim.value."),
                                             take_prefixed(file.metadata, "optim.value."));
    noise.set_offset(static_cast<std::uint64_t>(metadata_integer(file.metadata, "train.noise_offset", agent_path)));
    start_epoch = metadata_integer(file.metadata, "train.epoch", agent_path);
    resumed = true;
    const std::int64_t n = metadata_integer(file.metadata, "train.episodes", agent_path);
    for (std::int64_t i = 0; i < n; ++i) {
      add_episode(data::load_episode(episode_path(train_dir, i)), i, false);
    }
    // Episodes collected after the checkpoint are collected again, as an uninterrupted run would.
    for (std::int64_t i = n; fs::exists(episode_path(train_dir, i)); ++i) fs::remove(episode_path(train_dir, i));
    if (o.model_config && n > 0)  // the model the flags describe, from the same sensors, must be the run's
      for (const auto& [k, v] : agent_model_config(requested_model_config(), dreamer_config).to_metadata()) expect(k, v);
  } else {
    if (!o.model_config) throw ValueError("train_dreamer: model_config is required for a new run");
    for (std::int64_t i = 0; i < o.prefill_episodes; ++i) {
      envs::RandomPolicy random(env->action_dim());
      add_episode(envs::collect_episode(*env, random, envs::derive_seed(o.seed, static_cast<std::uint64_t>(i))), i, true);
    }
    Generator gen(o.seed);
    agent = std::make_unique<DreamerAgent>(requested_model_config(), o.dreamer, gen);
    make_steps();
  }
  DreamerAgent& a = *agent;
  const models::WorldModelConfig& model_config = a.model->config();
  for (std::size_t i = 0; i < episodes.size(); ++i)
    if (episodes[i].length() < o.horizon)
      throw ValueError(names[i] + ": an episode of " + std::to_string(episodes[i].length()) +
                       " steps is shorter than the horizon " + std::to_string(o.horizon) + " (--horizon, --episode-steps)");

  data::SequenceDatasetOptions dso;
  dso.horizon = o.horizon;
  dso.keys = model_keys(model_config, true);

  MetricsLog metrics((fs::path(o.out_dir) / "metrics.csv").string(), "csv", start_epoch);
  MetricsLog tests((fs::path(o.out_dir) / "test.csv").string(), "csv", start_epoch);

  // One iteration (dreamer-facts.md §3); returns its numbers.
  auto iterate = [&](const Batch& batch, bool with_agent, std::map<std::string, double>& sums) {
    models::ElboTerms terms;
    const auto t_model = std::chrono::steady_clock::now();
    Tensor ensemble_loss;
    const auto m = model_step->run([&] {
      terms = a.model->elbo(batch, noise);
      if (!a.explores()) return terms.loss;
      ensemble_loss = a.ensemble_loss(terms.filtered.features(), batch.at("pre_action"), terms.embeddings);
      return terms.loss + ensemble_loss;
    });
    sums["model_loss"] += m.loss.item();
    sums["kl"] += terms.kl.item();
    if (a.explores()) sums["ensemble_loss"] += ensemble_loss.item();
    else sums["rec/reward"] += terms.reconstruction.at("reward").item();
    sums["model_grad_norm"] += m.grad_norms[0];
    const auto t_actor = std::chrono::steady_clock::now();
    sums["model_seconds"] += std::chrono::duration<double>(t_actor - t_model).count();
    if (!with_agent) return;
    const std::int64_t T = terms.filtered.h.size(0), B = terms.filtered.h.size(1);
    models::State starts{terms.filtered.h.detach().reshape({T * B, terms.filtered.h.size(2)}),
                         terms.filtered.z.detach().reshape({T * B, terms.filtered.z.size(2)}), Tensor()};
    ImaginationTerms im;
    // Only the actor learns from its loss: the model and the value are frozen while it is
    // built and differentiated (no gradient is computed for them at all).
    auto freeze = [&](bool frozen) {
      a.model->requires_grad_(!frozen);
      for (auto& head : a.ensemble) head->requires_grad_(!frozen);
      a.value->requires_grad_(!frozen);
    };
    freeze(true);
    try {
      const auto r = actor_step->run([&] {
        im = imagine_actor_loss(a, starts, noise);
        return im.actor_loss;
      });
      sums["actor_loss"] += r.loss.item();
      sums["actor_grad_norm"] += r.grad_norms[0];
    } catch (...) {
      freeze(false);
      throw;
    }
    freeze(false);
    const auto t_value = std::chrono::steady_clock::now();
    sums["actor_seconds"] += std::chrono::duration<double>(t_value - t_actor).count();
    const auto v = value_step->run([&] { return value_loss(a, im); });
    sums["value_seconds"] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_value).count();
    sums["value_loss"] += v.loss.item();
    sums["action_kl"] += im.action_kl.item();
    sums["imagined_reward"] += im.reward.item();
    sums["imagined_return"] += mean(im.returns).item();
  };

  auto save_agent = [&](std::int64_t epoch) {
    nn::StateDict tensors;
    add_prefixed(tensors, "model.", a.model->state_dict());
    add_prefixed(tensors, "actor.", a.actor->state_dict());
    add_prefixed(tensors, "value.", a.value->state_dict());
    for (std::size_t j = 0; j < a.ensemble.size(); ++j)
      add_prefixed(tensors, "ensemble." + std::to_string(j) + ".", a.ensemble[j]->state_dict());
    nn::Metadata meta = run_metadata;
    for (const auto& [k, v] : schedule_metadata) meta[k] = v;
    for (const auto& [k, v] : model_config.to_metadata()) meta[k] = v;
    for (const auto& [k, v] : a.config.to_metadata()) meta[k] = v;
    const char* groups[] = {"model", "actor", "value"};
    TrainingStep* steps[] = {model_step.get(), actor_step.get(), value_step.get()};
    for (int g = 0; g < 3; ++g) {
      add_prefixed(tensors, std::string("optim.") + groups[g] + ".", steps[g]->optimizer(0).state_dict());
      for (const auto& [k, v] : steps[g]->optimizer(0).metadata()) meta[std::string("optim.") + groups[g] + "." + k] = v;
    }
    meta["train.epoch"] = std::to_string(epoch);
    meta["train.episodes"] = std::to_string(episodes.size());
    meta["train.noise_offset"] = std::to_string(noise.offset());
    meta["format"] = "aime dreamer agent";
    nn::save_safetensors(agent_path, tensors, meta);
  };
  auto save_folders = [&](std::int64_t epoch) {
    nn::Metadata meta = run_metadata;
    meta["train.epoch"] = std::to_string(epoch);
    meta["train.step"] = std::to_string(epoch);
    save_model_checkpoint((fs::path(o.out_dir) / "model").string(), *a.model, nullptr, meta);
    save_aime_policy((fs::path(o.out_dir) / "policy").string(), *a.model, *a.actor, meta, a.config.algo);
  };

  DreamerResult result;
  if (resumed && start_epoch >= o.epochs) {
    result.epochs = start_epoch;
    result.already_finished = true;
    return result;
  }
  if (!resumed) {  // pretraining: the model alone (dreamer-facts.md §2, step 4)
    const data::SequenceDataset buffer(episodes, names, dso);
    data::SequenceSampler sampler(buffer, o.batch_size, envs::derive_seed(o.seed, 0xb0f0ull));
    std::map<std::string, double> sums;
    for (std::int64_t u = 0; u < o.pretrain_updates; ++u) iterate(sampler.next(), false, sums);
  }

  double last_test = -1.0;
  for (std::int64_t epoch = start_epoch; epoch < o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::map<std::string, double> sums;
    {
      const data::SequenceDataset buffer(episodes, names, dso);
      data::SequenceSampler sampler(buffer, o.batch_size, envs::derive_seed(o.seed, 0x5a3d0000ull + static_cast<std::uint64_t>(epoch)));
      for (std::int64_t u = 0; u < o.updates_per_epoch; ++u) iterate(sampler.next(), true, sums);
    }
    const double update_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // One training episode with the current actor; it joins the buffer.
    const auto t1 = std::chrono::steady_clock::now();
    PolicyActor actor(*a.model, *a.actor, "dreamer");
    ExplorationNoise explore(actor, o.exploration_noise);
    double train_return = 0;
    const std::int64_t index = static_cast<std::int64_t>(episodes.size());
    add_episode(envs::collect_episode(*env, explore, envs::derive_seed(o.seed, static_cast<std::uint64_t>(index)), &train_return),
                index, true);
    const double episode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

    std::map<std::string, double> row;
    for (const auto& [k, v] : sums) row[k] = v / static_cast<double>(o.updates_per_epoch);
    row["train_return"] = train_return;
    row["episodes"] = static_cast<double>(episodes.size());
    row["env_steps"] = static_cast<double>(episodes.size()) * static_cast<double>(env->agent_steps());
    row["update_seconds"] = update_seconds / static_cast<double>(o.updates_per_epoch);
    row["episode_seconds"] = episode_seconds;
    metrics.write(epoch + 1, row);

    if (epoch % o.eval_every == 0 || epoch + 1 == o.epochs) {
      if (o.eval_episodes > 0) {
        PolicyActor test_actor(*a.model, *a.actor, "dreamer");
        std::vector<double> returns;
        for (std::int64_t i = 0; i < o.eval_episodes; ++i) {
          double ret = 0;
          const data::Episode e = envs::collect_episode(
              *test_env, test_actor,
              envs::derive_seed(test_seed(o.seed), static_cast<std::uint64_t>(epoch * o.eval_episodes + i)), &ret);
          data::save_episode(episode_path(test_dir, epoch * o.eval_episodes + i), e);
          returns.push_back(ret);
        }
        double m = 0, s = 0;
        mean_and_stddev(returns, m, s);
        tests.write(epoch + 1, {{"test_return", m}, {"test_return_std", s}, {"env_steps", row["env_steps"]}});
        last_test = m;
      }
      save_folders(epoch + 1);
    }
    save_agent(epoch + 1);
    if (progress) {
      DreamerProgress p;
      p.epoch = epoch + 1;
      p.epochs = o.epochs;
      p.train_return = train_return;
      p.test_return = last_test;
      p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      progress(p);
    }
  }
  if (o.epochs == 0) save_agent(0);
  result.epochs = o.epochs;
  result.last_test_return = last_test;
  return result;
}

}  // namespace aime::algorithms
