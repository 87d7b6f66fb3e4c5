// Data parallelism's arithmetic, with the ranks simulated one after another in one process
// (the MPI runs themselves: tests/distributed/mpi_run_test.cpp): N shares of a batch, each
// with its rows of the noise and its weighted loss, give summed gradients equal to one
// process's gradient of the whole batch, in float64 to rounding.
#include "algorithms/data_parallel.h"

#include <gtest/gtest.h>

#include "algorithms/model_training.h"
#include "distributed/replica_check.h"
#include "autograd/api.h"
#include "data/sequence_sampler.h"
#include "envs/collect.h"

namespace aime::algorithms {
namespace {

data::SequenceDataset pendulum_dataset() {
  envs::EnvironmentOptions o;
  o.render = false;
  o.episode_steps = 60;
  auto env = envs::make_environment("pendulum-swingup", o);
  auto policy = envs::make_policy("random", *env);
  std::vector<data::Episode> episodes;
  for (std::uint64_t i = 0; i < 3; ++i) episodes.push_back(envs::collect_episode(*env, *policy, i));
  data::SequenceDatasetOptions d;
  d.horizon = 6;
  return data::SequenceDataset(std::move(episodes), {}, d);
}

Batch to_float64(const Batch& b) {
  Batch out;
  for (const auto& [k, t] : b) out.set(k, t.to(kFloat64));
  return out;
}

// The gradient of every parameter, concatenated, after backward of `loss`.
std::vector<double> gradients(const models::WorldModel& m) {
  std::vector<double> out;
  for (const auto& p : m.parameters())
    for (double v : p.grad().to_vector<double>()) out.push_back(v);
  return out;
}

TEST(DataParallel, SharesOfTheBatchSumToTheOneProcessGradient) {
  const data::SequenceDataset ds = pendulum_dataset();
  auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"orientation", {2}}, {"velocity", {1}}}, 1);
  config.rssm.deterministic_size = 8;
  config.rssm.stochastic_size = 3;
  config.rssm.hidden_size = config.head_hidden_size = 8;
  ASSERT_TRUE(config.idm);  // a term the original sums over the batch, not averages
  Generator init(4);
  models::WorldModel model(config, init);
  model.to(kFloat64);
  const std::int64_t B = 7;
  const std::uint64_t seed = 9;

  auto zero = [&] {
    for (auto& p : model.parameters()) p.set_grad(Tensor());
  };
  // One process: the whole batch.
  zero();
  Generator noise = training_noise(seed);
  noise.set_offset(40);  // any point of the stream, as at a resumed step
  data::SequenceSampler whole(ds, B, seed, Device::cpu(), false, 3);
  const models::ElboTerms all = model.elbo(to_float64(whole.next()), noise);
  all.loss.backward();
  const std::vector<double> want = gradients(model);
  const std::uint64_t offset_after = noise.offset();

  for (int ranks : {2, 3, 7}) {
    std::vector<double> got(want.size(), 0.0);
    double loss = 0.0;
    for (int r = 0; r < ranks; ++r) {
      const distributed::BatchShard shard = distributed::shard_batch(B, r, ranks);
      zero();
      Generator rank_noise = training_noise(seed);
      rank_noise.set_offset(40);
      rank_noise.set_rows(shard.rows());
      data::SequenceSampler part(ds, B, seed, Device::cpu(), false, 3, shard.rows());
      const Tensor l = share_of_loss(model.elbo(to_float64(part.next()), rank_noise), shard.weight());
      l.backward();
      loss += l.item();
      EXPECT_EQ(rank_noise.offset(), offset_after);  // every rank's stream stays where one process's is
      const std::vector<double> g = gradients(model);
      for (std::size_t i = 0; i < g.size(); ++i) got[i] += g[i];  // the all-reduce
    }
    EXPECT_NEAR(loss, all.loss.item(), 1e-10 * std::abs(all.loss.item())) << ranks << " ranks";
    double worst = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      worst = std::max(worst, std::abs(got[i] - want[i]));
      scale = std::max(scale, std::abs(want[i]));
    }
    EXPECT_LT(worst, 1e-10 * scale) << ranks << " ranks";
  }
  // Without the IDM's unweighted sum (weighting it too) the sums would not match: the test
  // can tell.
  zero();
  double wrong = 0.0;
  for (int r = 0; r < 2; ++r) {
    const distributed::BatchShard shard = distributed::shard_batch(B, r, 2);
    Generator rank_noise = training_noise(seed);
    rank_noise.set_offset(40);
    rank_noise.set_rows(shard.rows());
    data::SequenceSampler part(ds, B, seed, Device::cpu(), false, 3, shard.rows());
    wrong += (shard.weight() * model.elbo(to_float64(part.next()), rank_noise).loss).item();
  }
  EXPECT_GT(std::abs(wrong - all.loss.item()), 1e-3);
}

TEST(DataParallel, BatchSharesCoverTheBatchOnce) {
  for (std::int64_t B : {1, 2, 7, 50})
    for (int N : {1, 2, 3, 4, 8}) {
      if (B < N) {
        EXPECT_THROW(distributed::shard_batch(B, 0, N), ValueError);
        continue;
      }
      std::int64_t next = 0;
      double weights = 0.0;
      for (int r = 0; r < N; ++r) {
        const auto s = distributed::shard_batch(B, r, N);
        EXPECT_EQ(s.begin, next);
        EXPECT_GE(s.size(), B / N);
        EXPECT_LE(s.size(), B / N + 1);
        next = s.end;
        weights += s.weight();
      }
      EXPECT_EQ(next, B);
      EXPECT_NEAR(weights, 1.0, 1e-12);
    }
}

TEST(DataParallel, WithoutACommunicatorItIsOneProcess) {
  const DataParallel alone(nullptr, 5);
  EXPECT_FALSE(alone.active());
  EXPECT_TRUE(alone.is_root());
  EXPECT_EQ(alone.shard().size(), 5);
  EXPECT_EQ(alone.shard().rows().total, 0);  // the generator and the sampler unsharded
  EXPECT_FALSE(static_cast<bool>(alone.gradient_hook()));
  std::map<std::string, double> v{{"loss", 2.5}};
  alone.sum(v);
  EXPECT_EQ(v.at("loss"), 2.5);
  // The process world without a launcher is a world of one.
  if (!distributed::launched_by_mpi()) {
    EXPECT_EQ(distributed::world().size(), 1);
    EXPECT_EQ(distributed::data_parallel_world(), nullptr);
  }
}

TEST(DataParallel, Fnv1aKnownAnswers) {
  // The published FNV-1a 64 test vectors: "" and "a".
  EXPECT_EQ(distributed::fnv1a("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(distributed::fnv1a("a", 1), 0xaf63dc4c8601ec8cull);
  const Tensor x = arange(0, 6, 1, kFloat32);
  EXPECT_EQ(distributed::tensor_hash(x), distributed::tensor_hash(x.clone()));
  EXPECT_NE(distributed::tensor_hash(x), distributed::tensor_hash(x.reshape({2, 3})));
  EXPECT_NE(distributed::tensor_hash(x), distributed::tensor_hash(x.to(kFloat64)));
}

}  // namespace
}  // namespace aime::algorithms
