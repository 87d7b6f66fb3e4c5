// A program outside the tree: a world model's ELBO and its gradient through the installed
// headers and libraries.
#include <cmath>
#include <cstdio>

#include "autograd/api.h"
#include "models/world_model.h"

int main() {
  using namespace aime;
  auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"velocity", {3}}}, 2);
  config.rssm.deterministic_size = config.rssm.hidden_size = config.head_hidden_size = 8;
  config.rssm.stochastic_size = 2;
  Generator gen(0);
  models::WorldModel model(config, gen);
  Batch batch;
  batch.set("velocity", randn({5, 4, 3}, gen));
  batch.set("pre_action", rand({5, 4, 2}, gen) * 2.0 - 1.0);
  const models::ElboTerms terms = model.elbo(batch, gen);
  terms.loss.backward();
  const double loss = terms.loss.item();
  std::printf("consumer: %lld parameters, loss %.4f\n", static_cast<long long>(model.num_parameters()), loss);
  return std::isfinite(loss) && model.parameters().front().grad().defined() ? 0 : 1;
}
