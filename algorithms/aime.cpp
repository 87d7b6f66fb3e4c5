#include "algorithms/aime.h"

#include "autograd/aime.h"

namespace aime::algorithms {

AimeTerms aime_objective(const models::WorldModel& model, models::TanhGaussianPolicy& policy,
                         const models::SensorBatch& demos, Generator& gen, const AimeOptions& options) {
  const Tensor embeddings = model.embed(demos);  // [T, B, E]
  const std::int64_t T = embeddings.size(0), B = embeddings.size(1);
  const models::StateSpaceModel& ssm = model.ssm();
  models::FilterOutput filtered;
  models::State state = ssm.initial_state(B);
  std::vector<Tensor> actions;
  for (std::int64_t t = 0; t < T; ++t) {
    const Tensor action = policy.forward(state.feature())->rsample(gen);
    models::StepOutput step = ssm.posterior_step(embeddings.select(0, t), action, state, gen);
    state = step.state;
    filtered.states.push_back(step.state);
    filtered.priors.push_back(step.prior);
    filtered.posteriors.push_back(step.posterior);
    actions.push_back(action);
  }
  AimeTerms out;
  out.actions = stack(actions, 0);
  out.elbo = model.elbo_of(filtered, embeddings, demos, false);
  out.loss = options.kl_only ? model.config().kl_scale * out.elbo.kl : out.elbo.loss;
  auto it = demos.find("pre_action");
  if (it != demos.end()) out.action_mse = mean(square(out.actions.detach() - it->second));
  return out;
}

}  // namespace aime::algorithms
