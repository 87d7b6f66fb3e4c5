// docs/tutorial.md, section 1: the filter. q(s_1:T | o_1:T, a_0:T-1) of one pendulum window,
// step by step: h_t = f(h_{t-1}, z_{t-1}, a_{t-1}) (the GRU), the prior p(z_t | h_t), the
// posterior q(z_t | h_t, e_t) with e_t = enc(o_t), z_t ~ q, and the KL between the two that
// the ELBO charges for what the observation told the state.
#include "distributions/kl.h"
#include "examples/pendulum_model.h"

int main() {
  using namespace aime;
  const data::SequenceDataset data = examples::pendulum_episodes("mix", 8, 20, 0);
  Generator gen(0);
  models::WorldModel model(examples::small_rssm(), gen);
  std::printf("training a %lld-parameter RSSM:\n", static_cast<long long>(model.num_parameters()));
  examples::train(model, data, 200, 1);

  const Batch window = data.collate({data.window(0)});  // [T = 20, B = 1, ...]
  NoGradGuard no_grad;
  const Tensor e = model.embed(window);                  // e_t = enc(o_t): [T, 1, E]
  const models::FilterOutput f = model.ssm().filter(e, window.at("pre_action"), models::State{}, gen);
  const Tensor kl = sum(distributions::kl_divergence(*f.posterior, *f.prior), -1);  // [T, 1]: nats per step
  std::printf("filtered %lld steps: h %s, z %s\n", static_cast<long long>(f.length()), shape_str(f.h.shape()).c_str(),
              shape_str(f.z.shape()).c_str());
  std::printf("  t   KL(q || p)  prior std  posterior std\n");
  for (std::int64_t t = 0; t < f.length(); t += 4)
    std::printf("  %-3lld %9.3f  %9.3f  %13.3f\n", static_cast<long long>(t), kl.select(0, t).item(),
                mean(f.prior->stddev().select(0, t)).item(), mean(f.posterior->stddev().select(0, t)).item());
  // The first step has no history: its prior knows nothing and the observation pays the most.
  return kl.select(0, 0).item() > kl.narrow(0, 1, kl.size(0) - 1).mean().item() ? 0 : 1;
}
