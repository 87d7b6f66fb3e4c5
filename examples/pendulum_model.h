// What the tutorial's examples share (docs/tutorial.md): pendulum-swingup episodes from its
// vector sensors (orientation [2], velocity [1], the action [1]), and a small RSSM world
// model trained on them for a few hundred ELBO steps, the loop of algorithms/
// model_training.cpp without its files. Seconds on a laptop.
#pragma once
#include <cstdio>

#include "algorithms/training_step.h"
#include "autograd/api.h"
#include "data/sequence_dataset.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"
#include "models/world_model.h"
#include "nn/flat_parameters.h"

namespace aime::examples {

// `count` episodes of 200 control steps (100 agent steps) under the `policy` ("random",
// "expert", "mix"), as windows of `horizon` steps.
inline data::SequenceDataset pendulum_episodes(const std::string& policy, int count, std::int64_t horizon,
                                               std::uint64_t seed) {
  envs::EnvironmentOptions o;
  o.render = false;  // the vector sensors only
  o.episode_steps = 200;
  auto env = envs::make_environment("pendulum-swingup", o);
  auto actor = envs::make_policy(policy, *env);
  std::vector<data::Episode> episodes;
  for (int i = 0; i < count; ++i) episodes.push_back(envs::collect_episode(*env, *actor, seed + static_cast<std::uint64_t>(i)));
  data::SequenceDatasetOptions d;
  d.horizon = horizon;
  return data::SequenceDataset(std::move(episodes), {}, d);
}

// The original's RSSM for the mdp setup at laptop sizes (configs/small.ini's spirit).
inline models::WorldModelConfig small_rssm() {
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"orientation", {2}}, {"velocity", {1}}}, 1);
  c.rssm.deterministic_size = 32;
  c.rssm.stochastic_size = 8;
  c.rssm.hidden_size = c.head_hidden_size = 32;
  return c;
}

// `steps` ELBO steps (Adam 1e-3, clip 100, batches of 16 windows): zero_grad, loss =
// -ELBO as trained, backward, clip, Adam (algorithms/training_step.h).
inline void train(models::WorldModel& model, const data::SequenceDataset& data, int steps, std::uint64_t seed) {
  nn::flatten_parameters(model.parameters());
  algorithms::OptimizerGroup group{"model", model.parameters(), {}, 100.0};
  group.adam.lr = 1e-3;
  algorithms::TrainingStep training({group});
  data::SequenceSampler sampler(data, 16, seed);
  Generator noise = algorithms::training_noise(seed);
  for (int step = 1; step <= steps; ++step) {
    const Batch batch = sampler.next();
    models::ElboTerms terms;
    training.run([&] {
      terms = model.elbo(batch, noise);
      return terms.loss;
    });
    if (step == 1 || step == steps) std::printf("  training step %d: elbo %.1f, kl %.2f nats per window\n", step, terms.elbo.item(), terms.kl.item());
  }
}

}  // namespace aime::examples
