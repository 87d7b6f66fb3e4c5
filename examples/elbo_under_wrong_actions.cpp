// docs/tutorial.md, section 3: the sequence ELBO, and why it can infer actions. The same
// windows scored under their true actions and under wrong ones (zero, negated): a model that
// has learnt how actions move the pendulum gives the true actions a higher ELBO, and the
// difference is all AIME has to learn a policy from.
#include "examples/pendulum_model.h"

int main() {
  using namespace aime;
  const data::SequenceDataset data = examples::pendulum_episodes("mix", 12, 30, 0);
  Generator gen(0);
  models::WorldModel model(examples::small_rssm(), gen);
  std::printf("training a %lld-parameter RSSM:\n", static_cast<long long>(model.num_parameters()));
  examples::train(model, data, 400, 1);

  NoGradGuard no_grad;
  std::vector<data::SequenceDataset::Window> windows;
  for (std::int64_t i = 0; i < data.num_windows(); i += 97) windows.push_back(data.window(i));
  const Batch truth = data.collate(windows);
  auto elbo_with = [&](const Tensor& actions) {
    Batch b = truth;
    b.set("pre_action", actions);
    Generator same(7);  // the same posterior noise for every variant
    const Tensor e = model.embed(b);
    const models::ElboTerms t = model.elbo_of(model.ssm().filter(e, actions, models::State{}, same), e, b,
                                              models::ElboOptions::policy_objective(false));  // elbo: the true KL
    return std::make_pair(t.elbo.item(), t.kl.item());
  };
  const Tensor a = truth.at("pre_action");
  const auto [elbo_true, kl_true] = elbo_with(a);
  const auto [elbo_zero, kl_zero] = elbo_with(zeros_like(a));
  const auto [elbo_neg, kl_neg] = elbo_with(-a);
  std::printf("ELBO per window of 30 steps (%zu windows):\n", windows.size());
  std::printf("  true actions    %8.2f   (KL %.2f)\n", elbo_true, kl_true);
  std::printf("  zero actions    %8.2f   (KL %.2f)  %+.2f nats\n", elbo_zero, kl_zero, elbo_zero - elbo_true);
  std::printf("  negated actions %8.2f   (KL %.2f)  %+.2f nats\n", elbo_neg, kl_neg, elbo_neg - elbo_true);
  return elbo_true > elbo_zero && elbo_true > elbo_neg ? 0 : 1;
}
