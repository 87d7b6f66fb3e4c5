#include "models/rssm.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "distributions/kl.h"

namespace aime::models {
namespace {

// Parameter counts of the original's models (docs/original.md §2 and the scale
// table): walker RSSM with A = 6 and a 1024-d image embedding; cheetah RSSMO likewise.
TEST(RSSM, ParameterCountsMatchTheOriginal) {
  RSSM rssm(6, 1024);
  EXPECT_EQ(rssm.memory_cell->num_parameters(), 995328);
  EXPECT_EQ(rssm.prior_mean->num_parameters(), 98688);
  EXPECT_EQ(rssm.prior_std->num_parameters(), 98688);
  EXPECT_EQ(rssm.posterior_mean->num_parameters(), 229760);
  EXPECT_EQ(rssm.posterior_std->num_parameters(), 229760);
  EXPECT_EQ(rssm.feature_size(), 640);
  RSSMO rssmo(6, 1024);
  EXPECT_EQ(rssmo.pre_memory->num_parameters(), 19968);
  EXPECT_EQ(rssmo.memory_cell->num_parameters(), 1575936);
  EXPECT_EQ(rssmo.prior_net->num_parameters(), 294460);
  EXPECT_EQ(rssmo.posterior_net->num_parameters(), 818748);
  EXPECT_EQ(rssmo.feature_size(), 542);
}

// A policy that acts as the recorded actions [T, B, A] do.
ActionSource::Policy replay_policy_of(const Tensor& actions) {
  return [actions](const State&, std::int64_t t, Generator&) { return actions.select(0, t); };
}

template <class Model, class Options>
void check_filter_and_rollout(const Options& options) {
  Generator gen(1);
  Model model(2, 5, options, gen);
  const std::int64_t T = 4, B = 3;
  const Tensor emb = randn({T, B, 5}, gen), act = rand({T, B, 2}, gen) * 2.0 - 1.0;
  const FilterOutput f = model.filter(emb, act, State{}, gen);
  ASSERT_EQ(f.length(), 4);
  EXPECT_EQ(f.features().shape(), (Shape{T, B, model.feature_size()}));
  EXPECT_EQ(f.posterior->batch_shape(), (Shape{T, B, model.stochastic_size()}));
  EXPECT_EQ(f.prior->batch_shape(), (Shape{T, B, model.stochastic_size()}));
  // Stds respect min_std.
  EXPECT_GE(-max(-f.prior->stddev()).item(), options.min_std * 0.999);
  const FilterOutput r = model.rollout(f.last(), act, gen);
  EXPECT_EQ(r.features().shape(), (Shape{T, B, model.feature_size()}));
  EXPECT_FALSE(r.posterior);  // imagination has no posterior
  // Same seed, same filtering.
  Generator g1(9), g2(9);
  const Tensor first = model.filter(emb, act, State{}, g1).features();
  const Tensor second = model.filter(emb, act, State{}, g2).features();
  EXPECT_EQ(first.to_vector<float>(), second.to_vector<float>());
  EXPECT_THROW(model.filter(randn({T, B, 4}, gen), act, State{}, gen), ShapeError);
  EXPECT_THROW(model.filter(randn({0, B, 5}, gen), randn({0, B, 2}, gen), State{}, gen), ShapeError);

  // The filter computes the embedding's share of the posterior and the priors for the whole
  // sequence at once; step by step (posterior_step) must give the same states, priors and
  // posteriors from the same noise.
  Generator g3(5), g4(5);
  const FilterOutput fast = model.filter(emb, act, State{}, g3);
  std::vector<StepOutput> steps;
  std::vector<Tensor> taken;
  State s = model.initial_state(B);
  for (std::int64_t t = 0; t < T; ++t) {
    taken.push_back(act.select(0, t));
    steps.push_back(model.posterior_step(emb.select(0, t), taken.back(), s, g4));
    s = steps.back().state;
  }
  const FilterOutput slow = FilterOutput::from_steps(steps, taken);
  auto close = [](const Tensor& a, const Tensor& b) { return max(abs(a - b)).item() < 1e-5; };
  EXPECT_TRUE(close(fast.features(), slow.features()));
  EXPECT_TRUE(close(fast.prior->mean(), slow.prior->mean()));
  EXPECT_TRUE(close(fast.prior->stddev(), slow.prior->stddev()));
  EXPECT_TRUE(close(fast.posterior->mean(), slow.posterior->mean()));
  EXPECT_TRUE(close(fast.posterior->stddev(), slow.posterior->stddev()));
  EXPECT_EQ(fast.actions.to_vector<float>(), act.to_vector<float>());

  // A policy as the action source: called once per step, in order, on the previous state
  // (s_0 = 0 first); one that returns the recorded actions filters exactly as they do, and
  // its draws come before the step's posterior sample.
  std::vector<std::int64_t> calls;
  Generator g5(5), g6(5);
  const auto replay = ActionSource::from_policy([&](const State& previous, std::int64_t t, Generator&) {
    if (t == 0) EXPECT_EQ(max(abs(previous.feature())).item(), 0.0);
    else EXPECT_EQ(previous.h.to_vector<float>(), fast.h.select(0, t - 1).to_vector<float>());
    calls.push_back(t);
    return act.select(0, t);
  });
  const FilterOutput by_policy = model.filter(emb, replay, State{}, g5);
  EXPECT_EQ(calls.size(), static_cast<std::size_t>(T));
  const Tensor by_record = model.filter(emb, act, State{}, g6).features();
  EXPECT_EQ(by_policy.features().to_vector<float>(), by_record.to_vector<float>());
  EXPECT_EQ(by_policy.actions.to_vector<float>(), act.to_vector<float>());
  // A policy that samples draws its noise first: the same stream, one [B, A] draw, then z.
  Generator g7(11), g8(11);
  const auto sampling = ActionSource::from_policy([&](const State&, std::int64_t, Generator& g) { return randn({B, 2}, g); });
  const FilterOutput sampled = model.filter(emb, sampling, State{}, g7);
  State manual = model.initial_state(B);
  for (std::int64_t t = 0; t < T; ++t) {
    const Tensor a = randn({B, 2}, g8);
    EXPECT_EQ(a.to_vector<float>(), sampled.actions.select(0, t).to_vector<float>());
    manual = model.posterior_step(emb.select(0, t), a, manual, g8).state;
  }
  EXPECT_TRUE(close(manual.z, sampled.last().z));
  // Each state knows the mean z was drawn from: the posterior's in filtering (in the loop's
  // states, in the policy's `previous` and in the output), the prior's in a rollout.
  EXPECT_TRUE(close(manual.z_mean, sampled.posterior->mean().select(0, T - 1)));
  EXPECT_TRUE(close(sampled.last().z_mean, manual.z_mean));
  EXPECT_FALSE(close(manual.z_mean, manual.z));
  std::vector<Tensor> seen_means;
  Generator g11(11);
  model.filter(emb, ActionSource::from_policy([&](const State& previous, std::int64_t, Generator& g) {
                 if (previous.z_mean.defined()) seen_means.push_back(previous.z_mean);
                 return randn({B, 2}, g);
               }),
               State{}, g11);
  ASSERT_EQ(seen_means.size(), static_cast<std::size_t>(T - 1));  // the initial state has none
  for (std::int64_t t = 0; t + 1 < T; ++t) EXPECT_TRUE(close(seen_means[t], sampled.posterior->mean().select(0, t)));
  // Wrong shapes from a policy, or a length that disagrees, are errors.
  EXPECT_THROW(model.filter(emb, ActionSource::from_policy([&](const State&, std::int64_t, Generator&) { return zeros({B, 3}); }),
                            State{}, gen),
               ShapeError);
  EXPECT_THROW(model.filter(emb, ActionSource::from_policy(replay_policy_of(act), T + 1), State{}, gen), ShapeError);
  // Rollout under a policy acts on the current state, for its `steps`.
  Generator g9(3), g10(3);
  const FilterOutput dreamt = model.rollout(fast.last(), ActionSource::from_policy(replay_policy_of(act), T), g9);
  const Tensor recorded_rollout = model.rollout(fast.last(), act, g10).features();
  EXPECT_EQ(dreamt.features().to_vector<float>(), recorded_rollout.to_vector<float>());
  EXPECT_TRUE(close(dreamt.last().z_mean, dreamt.prior->mean().select(0, T - 1)));
  EXPECT_THROW(model.rollout(fast.last(), ActionSource::from_policy(replay_policy_of(act)), gen), ShapeError);
  EXPECT_THROW(model.rollout(fast.last(), ActionSource::from_policy([&](const State&, std::int64_t, Generator&) { return zeros({B, 3}); }, 2), gen),
               ShapeError);
}

TEST(RSSM, FilterAndRolloutShapes) {
  RSSMOptions o;
  o.deterministic_size = 8;
  o.stochastic_size = 3;
  o.hidden_size = 6;
  check_filter_and_rollout<RSSM>(o);
}

TEST(RSSMO, FilterAndRolloutShapes) {
  RSSMOOptions o;
  o.deterministic_size = 8;
  o.stochastic_size = 3;
  o.hidden_size = 6;
  check_filter_and_rollout<RSSMO>(o);
}

// The KL of a filtered sequence reaches every parameter of the state-space model.
TEST(RSSM, KlGradientsReachEveryParameter) {
  Generator gen(2);
  RSSMOptions o;
  o.deterministic_size = 8;
  o.stochastic_size = 3;
  o.hidden_size = 6;
  RSSM model(2, 5, o, gen);
  const FilterOutput f = model.filter(randn({3, 2, 5}, gen), randn({3, 2, 2}, gen), State{}, gen);
  const Tensor loss = sum(distributions::kl_divergence(*f.posterior, *f.prior)) + sum(square(f.features()));
  loss.backward();
  for (const auto& [name, p] : model.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(max(abs(p.grad())).item(), 0.0) << name;
  }
}

}  // namespace
}  // namespace aime::models
