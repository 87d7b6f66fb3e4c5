#include "algorithms/aime.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include "algorithms/data_parallel.h"
#include "algorithms/policy_actor.h"
#include "algorithms/policy_checkpoint.h"
#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "data/sequence_sampler.h"
#include "distributions/kl.h"

namespace aime::algorithms {

AimeTerms aime_objective(const models::WorldModel& model, models::TanhGaussianPolicy& policy, const Batch& demos,
                         Generator& gen, const AimeOptions& options) {
  if (options.oracle_actions && options.use_idm) throw ValueError("aime_objective: oracle_actions and use_idm exclude each other");
  if (options.use_idm && !model.idm) throw ValueError("aime_objective: use_idm needs a world model with an IDM head");
  const Tensor* recorded = demos.find("pre_action");
  if (options.oracle_actions && !recorded)
    throw ValueError("aime_objective: oracle_actions needs the demonstrations' pre_action");
  const Tensor* cached = demos.find(kEmbeddingKey);
  const Tensor embeddings = cached ? *cached : model.embed(demos);  // [T, B, E]
  // The action of step t from the state before o_t is seen (the original's
  // filter_with_policy, aime/models/ssm.py); the model's shared filter runs the recurrence.
  std::vector<Tensor> policy_modes, idm_kls;
  auto act = [&](const models::State& previous, std::int64_t t, Generator& g) -> Tensor {
    const Tensor feature = previous.feature();
    const auto pi = policy.forward(options.policy_reads_mean ? previous.mean_feature() : feature);
    if (options.oracle_actions) {
      policy_modes.push_back(pi->mode());  // the policy's own action, regressed on the recorded one
      return recorded->select(0, t);
    }
    if (options.use_idm) {
      const auto q = model.idm->forward(cat({feature, embeddings.select(0, t)}, -1));
      Tensor action = q->rsample(g);
      idm_kls.push_back(mean(sum(distributions::kl_divergence(*q, *pi), {-1})));
      return action;
    }
    return pi->rsample(g);
  };
  const models::FilterOutput filtered =
      model.ssm().filter(embeddings, models::ActionSource::from_policy(act), models::State{}, gen);
  AimeTerms out;
  out.actions = options.oracle_actions ? stack(policy_modes, 0) : filtered.actions;
  const double kl_scale = options.kl_scale >= 0 ? options.kl_scale : model.config().kl_scale;
  out.elbo = model.elbo_of(filtered, embeddings, demos,
                           models::ElboOptions::policy_objective(options.kl_only, options.kl_rebalance));
  out.loss = options.kl_only ? kl_scale * out.elbo.kl_loss : out.elbo.reconstruction_loss + kl_scale * out.elbo.kl_loss;
  if (!options.kl_only) {
    out.probe_loss = model.probe_losses(filtered.features(), demos, false);
    for (const auto& [name, nll] : out.probe_loss) out.loss = out.loss + nll;
  }
  if (options.use_idm) {
    out.idm_kl = sum(stack(idm_kls, 0));
    out.loss = out.loss + kl_scale * out.idm_kl;
  }
  if (options.oracle_actions) out.loss = sum(mean(sum(square(out.actions - *recorded), {-1}), {1}));
  if (recorded) out.action_mse = mean(square(out.actions.detach() - *recorded));
  return out;
}

data::SequenceDataset embed_demonstrations(const models::WorldModel& model, const data::SequenceDataset& demos,
                                           bool reconstruct) {
  std::vector<data::Episode> episodes;
  std::vector<std::string> names;
  NoGradGuard no_grad;
  for (std::int64_t i = 0; i < demos.num_episodes(); ++i) {
    const data::Episode& source = demos.episode(i);
    if (source.contains(kEmbeddingKey))
      throw ValueError(demos.episode_name(i) + ": key '" + kEmbeddingKey + "' is reserved for the model's embeddings");
    const std::int64_t T = source.length();
    // The whole episode as one window [T, 1, ...], preprocessed as every batch is.
    data::SequenceDatasetOptions whole;
    whole.horizon = T;
    whole.keys = demos.keys();
    const data::SequenceDataset one({source}, {demos.episode_name(i)}, whole);
    const Tensor e = model.embed(one.collate({{0, 0}}));  // [T, 1, E]
    data::Episode embedded;
    for (const std::string& key : demos.keys())
      if (reconstruct || key == "pre_action") embedded.set(key, source.at(key));
    embedded.set(kEmbeddingKey, e.reshape({T, e.size(2)}).cpu());
    episodes.push_back(std::move(embedded));
    names.push_back(demos.episode_name(i));
  }
  data::SequenceDatasetOptions options = demos.options();
  options.keys.clear();  // every key of the embedded episodes
  return data::SequenceDataset(std::move(episodes), std::move(names), options);
}

ImitationResult train_aime(models::WorldModel& model, models::TanhGaussianPolicy& policy,
                           const data::SequenceDataset& demos, const AimeTrainingOptions& o,
                           const ImitationCallbacks& callbacks) {
  if (o.epochs < 1 || o.batches_per_epoch < 1 || o.batch_size < 1 || o.test_period < 1)
    throw ValueError("train_aime: epochs, batches_per_epoch, batch_size and test_period must be >= 1");
  if (o.out_dir.empty()) throw ValueError("train_aime: out_dir is required");
  if (demos.num_windows() == 0)
    throw ValueError("train_aime: the demonstrations have no window of " + std::to_string(demos.horizon()) + " steps");
  if (o.metrics_format != "csv" && o.metrics_format != "csv,tensorboard")
    throw ValueError("train_aime: metrics_format must be csv or csv,tensorboard, got '" + o.metrics_format + "'");
  std::filesystem::create_directories(o.out_dir);
  model.freeze();
  const data::SequenceDataset embedded = embed_demonstrations(model, demos, !o.objective.kl_only);
  const DataParallel parallel(o.communicator, o.batch_size);
  OptimizerGroup group{"policy", policy.parameters(), {}, o.grad_clip};
  group.adam.lr = o.lr;
  TrainingStep training({group});
  training.set_gradient_hook(parallel.gradient_hook());
  Generator noise = training_noise(o.seed);
  parallel.shard_noise(noise);
  data::SequenceSampler sampler(embedded, o.batch_size, o.seed, Device::cpu(), true, 0, parallel.shard().rows());
  auto policy_tensors = [&] {
    std::vector<std::pair<std::string, Tensor>> named;
    for (const auto& [name, t] : policy.named_parameters()) named.emplace_back(name, t);
    for (const auto& [name, t] : model.named_parameters()) named.emplace_back("model." + name, t);
    return named;
  };
  parallel.check_configuration({{"the objective, batch, lr, clip, steps and seed",
                                 std::to_string(o.objective.kl_only) + std::to_string(o.objective.use_idm) +
                                     std::to_string(o.objective.kl_scale) + std::to_string(o.objective.oracle_actions) +
                                     std::to_string(o.objective.kl_rebalance) + "|" + std::to_string(o.batch_size) + "|" +
                                     std::to_string(o.lr) + "|" + std::to_string(o.grad_clip) + "|" +
                                     std::to_string(o.epochs * o.batches_per_epoch) + "|" + std::to_string(o.seed)},
                                {"the demonstrations' windows", std::to_string(demos.num_episodes()) + " episodes, " +
                                                                    std::to_string(demos.num_windows()) + " windows"}});
  parallel.check_tensors("the policy and the model as loaded", policy_tensors());
  // Rank 0 alone writes the metrics, tests the policy and saves it.
  std::optional<MetricsLog> metrics;
  std::optional<PeriodicEvaluation> evaluation;
  if (parallel.is_root()) {
    metrics.emplace((std::filesystem::path(o.out_dir) / "metrics.csv").string(), o.metrics_format);
    evaluation.emplace(o.out_dir, o.evaluation, callbacks);
  }
  PolicyActor actor(model, policy, "aime", o.objective.policy_reads_mean);
  nn::Metadata metadata = o.metadata;
  metadata["train.seed"] = std::to_string(o.seed);
  metadata["policy.input"] = o.objective.policy_reads_mean ? "mean" : "sample";
  auto save = [&](std::int64_t step) {
    if (!parallel.is_root()) return;
    metadata["train.step"] = std::to_string(step);
    save_aime_policy(o.out_dir, model, policy, metadata);
  };

  const std::int64_t total = o.epochs * o.batches_per_epoch;
  if (evaluation) evaluation->run(actor, 0);  // the initial (random) policy
  ImitationResult result;
  for (std::int64_t step = 0; step < total; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const Batch batch = sampler.next();
    AimeTerms terms;
    // Every term of AIME's loss is a mean over the batch: a rank's share weighs its fraction.
    const double w = parallel.shard().weight();
    const double grad_norm = training.run([&] {
                                        terms = aime_objective(model, policy, batch, noise, o.objective);
                                        return parallel.active() ? w * terms.loss : terms.loss;
                                      }).grad_norms[0];
    std::map<std::string, double> row{{"loss", w * terms.loss.item()}, {"kl", w * terms.elbo.kl.item()}};
    if (terms.elbo.elbo.defined()) row["elbo"] = w * terms.elbo.elbo.item();  // not with kl_only
    for (const auto& [k, v] : terms.elbo.reconstruction) row["rec/" + k] = w * v.item();
    for (const auto& [k, v] : terms.probe_loss) row["probe/" + k] = w * v.item();
    if (terms.action_mse.defined()) row["action_mse"] = w * terms.action_mse.item();
    if (terms.idm_kl.defined()) row["idm_kl"] = w * terms.idm_kl.item();
    parallel.sum(row);
    row["grad_norm"] = grad_norm;
    row["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (metrics) metrics->write(step + 1, row);
    const bool epoch_end = (step + 1) % o.batches_per_epoch == 0;
    if (step + 1 < total && epoch_end && ((step + 1) / o.batches_per_epoch) % o.test_period == 0) {
      if (evaluation) evaluation->run(actor, step + 1);
      save(step + 1);
    }
    if (parallel.active() && o.check_replicas_every > 0 && (step + 1) % o.check_replicas_every == 0)
      parallel.check_tensors("the policy after step " + std::to_string(step + 1), policy_tensors());
    if (callbacks.progress && parallel.is_root()) callbacks.progress("aime", step + 1, total);
  }
  result.steps = total;
  save(total);
  if (evaluation) result.final_evaluation = evaluation->final_test(actor, total, o.final_test_episodes);
  return result;
}

}  // namespace aime::algorithms
