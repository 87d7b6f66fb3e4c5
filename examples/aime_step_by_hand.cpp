// docs/tutorial.md, section 4: AIME's phase 2 by hand. The world model is frozen; a policy
// pi(a | s) acts inside the model's filter on demonstrations that carry no actions,
//   a_t ~ pi(. | s_{t-1}) (reparameterised),  h_t = f(h_{t-1}, z_{t-1}, a_t),  z_t ~ q(z_t | h_t, e_t),
// and the loss is the negative ELBO of the demonstrations under those actions. Its gradient
// reaches the policy through the posterior, the GRU and the decoders: the actions that
// explain the observations best are the expert's. algorithms/aime.cpp (aime_objective,
// train_aime) is this loop with the original's reweighting and its logs.
#include "algorithms/aime.h"
#include "examples/pendulum_model.h"
#include "models/tanh_gaussian_policy.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad.h"

int main() {
  using namespace aime;
  // The model learns the pendulum from mixed-quality data with actions (the embodiment);
  // the policy learns from an expert's observations alone (the demonstrations).
  const data::SequenceDataset embodiment = examples::pendulum_episodes("mix", 12, 30, 0);
  const data::SequenceDataset demonstrations = examples::pendulum_episodes("expert", 4, 30, 100);
  Generator gen(0);
  models::WorldModel model(examples::small_rssm(), gen);
  std::printf("phase 1, the world model:\n");
  examples::train(model, embodiment, 400, 1);
  model.freeze();

  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 32, 2, gen);
  nn::Adam adam(policy.parameters(), {});
  data::SequenceSampler sampler(demonstrations, 16, 2);
  Generator noise(3);
  std::printf("phase 2, the policy from observations only:\n  step  -ELBO   action error against the expert's (never seen)\n");
  double first = 0, last = 0;
  for (int step = 1; step <= 60; ++step) {
    const Batch demos = sampler.next();
    adam.zero_grad();
    // The policy's action for step t from the state before o_t is seen.
    auto act = [&](const models::State& previous, std::int64_t, Generator& g) { return policy.forward(previous.feature())->rsample(g); };
    const Tensor e = model.embed(demos);
    const models::FilterOutput f = model.ssm().filter(e, models::ActionSource::from_policy(act), models::State{}, noise);
    const models::ElboTerms terms = model.elbo_of(f, e, demos, models::ElboOptions::policy_objective(false));
    const Tensor loss = terms.reconstruction_loss + terms.kl_loss;  // -ELBO as the original weighs it
    loss.backward();  // d loss / d policy: through decoders, posterior and GRU into the actions
    nn::clip_grad_norm_(policy.parameters(), 100.0);
    adam.step();
    const double error = mean(square(f.actions.detach() - demos.at("pre_action"))).item();
    if (step == 1) first = error;
    last = error;
    if (step % 10 == 0 || step == 1) std::printf("  %4d  %7.2f  %.3f\n", step, loss.item(), error);
  }
  std::printf("action error: %.3f at the start, %.3f after 60 steps\n", first, last);
  return last < first ? 0 : 1;
}
