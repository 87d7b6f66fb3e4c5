// Learning outcomes of AIME's phase 2 end to end (label `long`: half a minute here, minutes
// under the sanitizers, so scripts/sanitize.sh leaves it out; every function it runs is
// also run by tests/algorithms/aime_test.cpp and model_training_test.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "algorithms/aime.h"
#include "algorithms/evaluation.h"
#include "algorithms/model_training.h"
#include "autograd/api.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"

namespace aime::algorithms {
namespace {

// The whole of phase 2 on a tiny problem: pendulum-swingup from its vector sensors (the
// mdp setup), a small world model trained here on mixed-quality data, then train_aime on
// expert observations. The policy starts from random weights (return 0: a pendulum left
// hanging) and must raise both the demonstrations' ELBO and its return in the environment.
TEST(AimeTraining, ImprovesTheDemonstrationsElboAndTheReturnOverItsInitialisation) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("aime_training_" + std::to_string(::getpid()));
  fs::remove_all(root);
  envs::EnvironmentOptions env_options;
  env_options.render = false;
  envs::collect_dataset("pendulum-swingup", "mix", 20, (root / "mix").string(), 0, {}, data::Compression::Stored, env_options);
  envs::collect_dataset("pendulum-swingup", "expert", 5, (root / "expert").string(), 1, {}, data::Compression::Stored,
                        env_options);
  data::SequenceDatasetOptions dso;
  dso.horizon = 16;
  const data::SequenceDataset mix((root / "mix").string(), dso), demos((root / "expert").string(), dso);
  std::int64_t action_size = 0;
  const auto sensors = dataset_sensors(mix, &action_size);
  auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, sensors, action_size);
  config.rssm.deterministic_size = 64;
  config.rssm.stochastic_size = 16;
  config.rssm.hidden_size = config.head_hidden_size = 64;
  Generator gen(0);
  models::WorldModel model(config, gen);
  ModelTrainingOptions mo;
  mo.epochs = 15;
  mo.batches_per_epoch = 100;
  mo.batch_size = 16;
  mo.seed = 0;
  mo.out_dir = (root / "model").string();
  mo.checkpoint_every = 100000;
  train_world_model(model, mix, mo);

  models::TanhGaussianPolicy policy(model.ssm().feature_size(), action_size, 128, 2, gen);
  data::SequenceSampler sampler(demos, 32, 9, Device::cpu(), false);
  const Batch batch = sampler.next();
  auto elbo = [&] {
    NoGradGuard no_grad;
    Generator noise(4);
    return aime_objective(model, policy, batch, noise).elbo.elbo.item();
  };
  const double elbo_before = elbo();
  AimeTrainingOptions o;
  o.epochs = 4;
  o.batches_per_epoch = 100;
  o.batch_size = 16;
  o.seed = 0;
  o.test_period = 2;
  o.final_test_episodes = 5;
  o.evaluation.env = "pendulum-swingup";
  o.evaluation.env_options = env_options;
  o.evaluation.episodes = 3;
  o.evaluation.expert_return = mean_episode_return(demos);
  o.out_dir = (root / "aime").string();
  std::vector<double> returns;
  ImitationCallbacks callbacks;
  callbacks.evaluated = [&](std::int64_t, const EvaluationResult& r) { returns.push_back(r.mean); };
  const ImitationResult r = train_aime(model, policy, demos, o, callbacks);
  const double elbo_after = elbo();
  ASSERT_TRUE(r.final_evaluation.has_value());
  ASSERT_EQ(returns.size(), 3u);  // steps 0, 200 and the final test
  std::printf("demonstrations' ELBO %.2f -> %.2f; return %.1f -> %.1f (normalised %.1f; expert %.1f)\n", elbo_before,
              elbo_after, returns.front(), returns.back(), r.final_evaluation->normalised_mean,
              o.evaluation.expert_return);
  EXPECT_GT(elbo_after, elbo_before + 1.0);
  EXPECT_GT(returns.back(), returns.front() + 10.0);
  EXPECT_TRUE(fs::exists(root / "aime" / "policy.safetensors"));
  EXPECT_TRUE(fs::exists(root / "aime" / "eval.csv"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace aime::algorithms
