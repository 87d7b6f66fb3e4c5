#include "models/rssm.h"

#include "autograd/api.h"
#include "distributions/std_param.h"

namespace aime::models {

RSSM::RSSM(std::int64_t a, std::int64_t e, const RSSMOptions& o, Generator& gen)
    : StateSpaceModel("RSSM", o.deterministic_size, o.stochastic_size, a, e), options(o) {
  const std::int64_t H = o.deterministic_size, Z = o.stochastic_size;
  memory_cell = register_module("memory_cell", std::make_shared<nn::GRUCell>(Z + a, H, true, gen));
  prior_mean = register_module("prior_mean", std::make_shared<nn::MLP>(nn::mlp_options(H, Z, o.hidden_size, o.hidden_layers, false, "elu"), gen));
  prior_std = register_module("prior_std", std::make_shared<nn::MLP>(nn::mlp_options(H, Z, o.hidden_size, o.hidden_layers, false, "elu"), gen));
  posterior_mean = register_module(
      "posterior_mean", std::make_shared<nn::MLP>(nn::mlp_options(H + e, Z, o.hidden_size, o.hidden_layers, false, "elu"), gen));
  posterior_std = register_module(
      "posterior_std", std::make_shared<nn::MLP>(nn::mlp_options(H + e, Z, o.hidden_size, o.hidden_layers, false, "elu"), gen));
}

Tensor RSSM::transition(const State& previous, const Tensor& pre_action) const {
  return memory_cell->forward(cat({previous.z, pre_action}, -1), previous.h);
}

std::shared_ptr<distributions::Normal> RSSM::prior(const Tensor& h) const {
  return std::make_shared<distributions::Normal>(prior_mean->forward(h),
                                                 distributions::softplus_std(prior_std->forward(h), options.min_std));
}

std::shared_ptr<distributions::Normal> RSSM::posterior(const Tensor& h, const Tensor& embedding) const {
  const Tensor x = cat({h, embedding}, -1);
  return std::make_shared<distributions::Normal>(posterior_mean->forward(x),
                                                 distributions::softplus_std(posterior_std->forward(x), options.min_std));
}

PosteriorContext RSSM::prepare_posterior(const Tensor& embeddings) const {
  const nn::SplitFirstLayer mean = posterior_mean->split_first_layer(embeddings, deterministic_size());
  const nn::SplitFirstLayer std = posterior_std->split_first_layer(embeddings, deterministic_size());
  return {embeddings, {mean.head_weight, std.head_weight}, {mean.tail_term, std.tail_term}};
}

std::shared_ptr<distributions::Normal> RSSM::posterior_at(const Tensor& h, const PosteriorContext& c,
                                                          std::int64_t t) const {
  const Tensor mean = posterior_mean->forward_split(h, c.head_weights[0], c.tail_terms[0].select(0, t));
  const Tensor raw = posterior_std->forward_split(h, c.head_weights[1], c.tail_terms[1].select(0, t));
  return std::make_shared<distributions::Normal>(mean, distributions::softplus_std(raw, options.min_std));
}

RSSMO::RSSMO(std::int64_t a, std::int64_t e, const RSSMOOptions& o, Generator& gen)
    : StateSpaceModel("RSSMO", o.deterministic_size, o.stochastic_size, a, e), options(o) {
  const std::int64_t H = o.deterministic_size, Z = o.stochastic_size, W = o.hidden_size;
  pre_memory = register_module("pre_memory", std::make_shared<nn::MLP>(nn::mlp_options(Z + a, 0, W, 1, true, "silu", "identity", false), gen));
  memory_cell = register_module("memory_cell", std::make_shared<nn::GRUCell>(W, H, true, gen));
  prior_net = register_module("prior_net", std::make_shared<nn::MLP>(nn::mlp_options(H, 2 * Z, W, 1, true, "silu"), gen));
  posterior_net = register_module("posterior_net", std::make_shared<nn::MLP>(nn::mlp_options(H + e, 2 * Z, W, 1, true, "silu"), gen));
}

Tensor RSSMO::transition(const State& previous, const Tensor& pre_action) const {
  return memory_cell->forward(pre_memory->forward(cat({previous.z, pre_action}, -1)), previous.h);
}

std::shared_ptr<distributions::Normal> RSSMO::prior(const Tensor& h) const {
  const auto [mean, raw] = distributions::split_mean_std(prior_net->forward(h));
  return std::make_shared<distributions::Normal>(mean, distributions::sigmoid_std(raw, options.min_std));
}

std::shared_ptr<distributions::Normal> RSSMO::posterior(const Tensor& h, const Tensor& embedding) const {
  const auto [mean, raw] = distributions::split_mean_std(posterior_net->forward(cat({h, embedding}, -1)));
  return std::make_shared<distributions::Normal>(mean, distributions::sigmoid_std(raw, options.min_std));
}

PosteriorContext RSSMO::prepare_posterior(const Tensor& embeddings) const {
  const nn::SplitFirstLayer first = posterior_net->split_first_layer(embeddings, deterministic_size());
  return {embeddings, {first.head_weight}, {first.tail_term}};
}

std::shared_ptr<distributions::Normal> RSSMO::posterior_at(const Tensor& h, const PosteriorContext& c,
                                                           std::int64_t t) const {
  const auto [mean, raw] = distributions::split_mean_std(
      posterior_net->forward_split(h, c.head_weights[0], c.tail_terms[0].select(0, t)));
  return std::make_shared<distributions::Normal>(mean, distributions::sigmoid_std(raw, options.min_std));
}

}  // namespace aime::models
