// The original's two recurrent state-space models (docs/original.md §2).
//
// RSSM (walker): h = GRUCell([z, a], h) (torch's GRU, no LayerNorm); four separate ELU
// MLPs (hidden_layers x hidden_size): prior mean and std on h, posterior mean and std on
// [h, e]; std = softplus(.) + min_std (1e-6). Defaults: h 512, z 128, MLPs 2 x 128.
//
// RSSMO (cheetah, "as the original Dreamer repo"): pre_memory = MLP([z, a] -> hidden, one
// hidden layer, LayerNorm, SiLU, no head), h = GRUCell(pre_memory, h); prior_net =
// MLP(h -> hidden [LN, SiLU] -> 2Z), posterior_net = MLP([h, e] -> hidden [LN, SiLU] -> 2Z),
// each output split into mean and raw std with std = 2 sigmoid(raw / 2) + min_std (0.1).
// Defaults: h 512, z 30, hidden 512.
#pragma once
#include "models/state_space_model.h"
#include "nn/gru.h"
#include "nn/mlp.h"

namespace aime::models {

struct RSSMOptions {
  std::int64_t deterministic_size = 512;
  std::int64_t stochastic_size = 128;
  std::int64_t hidden_size = 128;
  std::int64_t hidden_layers = 2;
  double min_std = 1e-6;
};

class RSSM : public StateSpaceModel {
 public:
  RSSM(std::int64_t action_size, std::int64_t embedding_size, const RSSMOptions& options = {},
       Generator& gen = default_generator());
  const RSSMOptions options;

  std::shared_ptr<nn::GRUCell> memory_cell;
  std::shared_ptr<nn::MLP> prior_mean, prior_std, posterior_mean, posterior_std;

 protected:
  Tensor transition(const State& previous, const Tensor& pre_action) const override;
  std::shared_ptr<distributions::Normal> prior(const Tensor& h) const override;
  std::shared_ptr<distributions::Normal> posterior(const Tensor& h, const Tensor& embedding) const override;
  // The posterior's first layers split over [h; e] (nn::SplitFirstLayer).
  PosteriorContext prepare_posterior(const Tensor& embeddings) const override;
  std::shared_ptr<distributions::Normal> posterior_at(const Tensor& h, const PosteriorContext& context,
                                                      std::int64_t t) const override;
};

struct RSSMOOptions {
  std::int64_t deterministic_size = 512;
  std::int64_t stochastic_size = 30;
  std::int64_t hidden_size = 512;
  double min_std = 0.1;
};

class RSSMO : public StateSpaceModel {
 public:
  RSSMO(std::int64_t action_size, std::int64_t embedding_size, const RSSMOOptions& options = {},
        Generator& gen = default_generator());
  const RSSMOOptions options;

  std::shared_ptr<nn::MLP> pre_memory;
  std::shared_ptr<nn::GRUCell> memory_cell;
  std::shared_ptr<nn::MLP> prior_net, posterior_net;

 protected:
  Tensor transition(const State& previous, const Tensor& pre_action) const override;
  std::shared_ptr<distributions::Normal> prior(const Tensor& h) const override;
  std::shared_ptr<distributions::Normal> posterior(const Tensor& h, const Tensor& embedding) const override;
  // The posterior's first layers split over [h; e] (nn::SplitFirstLayer).
  PosteriorContext prepare_posterior(const Tensor& embeddings) const override;
  std::shared_ptr<distributions::Normal> posterior_at(const Tensor& h, const PosteriorContext& context,
                                                      std::int64_t t) const override;
};

}  // namespace aime::models
