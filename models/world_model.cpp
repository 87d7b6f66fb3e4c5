#include "models/world_model.h"

#include "autograd/api.h"
#include "distributions/kl.h"

namespace aime::models {

using distributions::NllReweight;

std::shared_ptr<Decoder> WorldModel::make_decoder(const SensorSpec& s, bool probe, Generator& gen) {
  const std::int64_t f = ssm_->feature_size();
  if (s.is_image()) return std::make_shared<CNNDecoderHa>(f, s.shape[0], config_.cnn_width, gen, s.shape[1]);
  if (!probe && config_.stochastic_vector_decoder)
    return std::make_shared<MLPStochasticDecoder>(f, s.size(), config_.head_hidden_size, config_.head_hidden_layers,
                                                  config_.rssm.min_std, config_.head_layer_norm, config_.head_activation, gen);
  if (probe && config_.probe_head) {
    const auto& h = *config_.probe_head;
    return std::make_shared<MLPDeterministicDecoder>(f, s.size(), h.hidden_size, h.hidden_layers, h.layer_norm,
                                                     h.activation, gen);
  }
  return std::make_shared<MLPDeterministicDecoder>(f, s.size(), config_.head_hidden_size, config_.head_hidden_layers,
                                                   config_.head_layer_norm, config_.head_activation, gen);
}

WorldModel::WorldModel(const WorldModelConfig& c, Generator& gen) : Module("WorldModel"), config_(c) {
  if (c.inputs.empty() || c.outputs.empty() || c.action_size < 1)
    throw ValueError("WorldModel: needs input and output sensors and action_size >= 1");
  c.validate();  // before anything is allocated
  encoder = register_module("encoder", std::make_shared<MultimodalEncoder>());
  std::vector<std::string> vector_inputs;
  std::int64_t vector_size = 0;
  for (const auto& s : c.inputs) {
    if (s.is_image()) {
      auto cnn = std::make_shared<CNNEncoderHa>(s.shape[0], c.cnn_width, gen, s.shape[1]);
      encoder->add(s.name, cnn, cnn->output_size());
    } else if (c.model == "rssm" && !c.vector_encoder) {
      encoder->add(s.name, std::make_shared<IdentityEncoder>(s.size()), s.size());
    } else {
      vector_inputs.push_back(s.name);
      vector_size += s.size();
    }
  }
  if (!vector_inputs.empty()) {  // one MLP over all vector sensors (RSSMO's default)
    const WorldModelConfig::Head h = c.vector_encoder ? *c.vector_encoder : WorldModelConfig::Head{512, 2, true, "silu"};
    const nn::MLPOptions o = nn::mlp_options(vector_size, 0, h.hidden_size, h.hidden_layers, h.layer_norm, h.activation,
                                             "identity", false);
    encoder->add_group("tabular", vector_inputs, std::make_shared<nn::MLP>(o, gen), h.hidden_size);
  }
  if (c.model == "rssm")
    ssm_ = std::make_shared<RSSM>(c.action_size, encoder->output_size(), c.rssm, gen);
  else
    ssm_ = std::make_shared<RSSMO>(c.action_size, encoder->output_size(), c.rssmo, gen);
  register_module("ssm", ssm_);
  auto heads = std::make_shared<nn::Module>("Decoders");
  for (const auto& s : c.outputs) decoders[s.name] = heads->register_module(s.name, make_decoder(s, false, gen));
  register_module("decoders", heads);
  if (!c.probes.empty()) {
    auto probes = std::make_shared<nn::Module>("Probes");
    for (const auto& s : c.probes) probe_decoders[s.name] = probes->register_module(s.name, make_decoder(s, true, gen));
    register_module("probes", probes);
  }
  if (c.idm)
    idm = register_module("idm", std::make_shared<TanhGaussianPolicy>(ssm_->feature_size() + encoder->output_size(),
                                                                      c.action_size,
                                                                      c.idm_hidden_size >= 0 ? c.idm_hidden_size : c.head_hidden_size,
                                                                      c.idm_hidden_layers >= 0 ? c.idm_hidden_layers : c.head_hidden_layers,
                                                                      gen));
}

const Tensor& WorldModel::require(const Batch& batch, const std::string& key) const {
  return batch.require(key, "WorldModel");
}

Tensor WorldModel::embed(const Batch& batch) const { return encoder->forward(batch); }

FilterOutput WorldModel::filter(const Batch& batch, Generator& gen) const {
  return ssm_->filter(embed(batch), require(batch, "pre_action"), State{}, gen);
}

namespace {
// Sums every dim after the first two ([T, B, ...] -> [T, B]).
Tensor sum_event(const Tensor& x) {
  if (x.dim() <= 2) return x;
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return sum(x, dims);
}
}  // namespace

ElboTerms WorldModel::elbo(const Batch& batch, Generator& gen) const {
  const Tensor embeddings = embed(batch);
  return elbo_of(ssm_->filter(embeddings, require(batch, "pre_action"), State{}, gen), embeddings, batch,
                 ElboOptions::training());
}

ElboTerms WorldModel::elbo_of(const FilterOutput& filtered, const Tensor& embeddings, const Batch& batch,
                              const ElboOptions& options) const {
  const bool reconstruct = options.reconstruct;
  ElboTerms out;
  out.embeddings = embeddings;
  out.filtered = filtered;
  const Tensor features = out.filtered.features();  // [T, B, F]
  const std::int64_t T = features.size(0);
  // Reconstruction.
  Tensor rec_loss = scalar_tensor(0.0, features.dtype(), features.device());
  out.elbo = scalar_tensor(0.0, features.dtype(), features.device());
  Tensor std_sum;  // per (t, b): sum over output dims of sg(std), for dim_wise KL weighting
  std::int64_t output_dims = 0;
  static const std::vector<SensorSpec> kNoOutputs;
  for (const auto& s : reconstruct ? config_.outputs : kNoOutputs) {
    const Tensor& target = require(batch, s.name);
    const auto dist = decoders.at(s.name)->forward(features);
    const Tensor log_p = dist->log_prob(target);  // [T, B, ...]
    const Tensor per_step = sum_event(log_p);     // [T, B]
    out.reconstruction_per_step[s.name] = mean(per_step, 1);
    out.reconstruction[s.name] = mean(sum(per_step, 0));
    out.elbo = out.elbo + out.reconstruction[s.name];
    out.mse[s.name] = mean(square(dist->mean().detach() - target));
    if (config_.nll_reweight == NllReweight::DimWise) {
      const Tensor stddev = dist->stddev().detach().expand(log_p.shape());
      rec_loss = rec_loss - mean(sum(sum_event(log_p * stddev), 0));
      const Tensor s_sum = sum_event(stddev);
      std_sum = std_sum.defined() ? std_sum + s_sum : s_sum;
      output_dims += s.size();
    } else {
      rec_loss = rec_loss - out.reconstruction[s.name];
    }
  }
  // KL per step and dim over [T, B, Z] at once, balanced and with free nats for the loss;
  // the true value for the ELBO.
  if (!out.filtered.posterior) throw ValueError("WorldModel::elbo_of: the filter output has no posterior (a rollout?)");
  const auto& q = *out.filtered.posterior;
  const auto& p = *out.filtered.prior;
  const Tensor kl = distributions::kl_divergence(q, p);  // [T, B, Z]
  const double alpha = options.kl_rebalance < -1.5 ? config_.kl_rebalance : options.kl_rebalance;
  Tensor train = alpha >= 0 ? distributions::kl_balance(q, p, alpha) : kl;
  if (options.free_nats && config_.free_nats > 0) train = distributions::free_nats(train, config_.free_nats);
  const Tensor kl_steps = sum(kl, -1), kl_train_steps = sum(train, -1);  // [T, B]
  out.kl_per_step = mean(kl_steps, 1).detach();
  out.kl = mean(sum(kl_steps, 0));
  out.elbo = reconstruct ? (out.elbo - out.kl).detach() : Tensor();
  // dim_wise: the KL of each (t, b) weighted by the decoders' detached std averaged over
  // every output dim (the original's kl_loss, in phase 1 and in phase 2 alike). Without
  // reconstruction only the learned stds are computed; constant-std outputs add their dims.
  if (!reconstruct && config_.nll_reweight == NllReweight::DimWise) {
    std::int64_t constant_dims = 0;
    for (const auto& s : config_.outputs) {
      output_dims += s.size();
      const Tensor stddev = decoders.at(s.name)->stddev(features);
      if (!stddev.defined()) {
        constant_dims += s.size();
        continue;
      }
      const Tensor s_sum = sum_event(stddev.detach());
      std_sum = std_sum.defined() ? std_sum + s_sum : s_sum;
    }
    if (std_sum.defined() && constant_dims > 0) std_sum = std_sum + static_cast<double>(constant_dims);
  }
  Tensor weighted_kl = kl_train_steps;
  if (config_.nll_reweight == NllReweight::DimWise && std_sum.defined())
    weighted_kl = weighted_kl * (std_sum / static_cast<double>(output_dims));
  out.reconstruction_loss = rec_loss;
  out.kl_loss = mean(sum(weighted_kl, 0));
  out.loss = rec_loss + config_.kl_scale * out.kl_loss;
  // Probes: detached features from t = 1.
  if (options.heads && T > 1) {
    out.probe_loss = probe_losses(features, batch, true);
    for (const auto& [name, nll] : out.probe_loss) out.loss = out.loss + nll;
    // IDM: [feature_t, e_{t+1}] (detached) -> pre_action_{t+1}; -log p summed over action
    // dims, mean over time, sum over batch (as the original codes it).
    if (idm) {
      const Tensor& actions = require(batch, "pre_action");
      const Tensor input = cat({features.narrow(0, 0, T - 1).detach(), embeddings.narrow(0, 1, T - 1).detach()}, -1);
      const Tensor log_p = sum(idm->forward(input)->log_prob(actions.narrow(0, 1, T - 1)), -1);  // [T-1, B]
      out.idm_loss = -sum(mean(log_p, 0));
      out.loss = out.loss + out.idm_loss;
    }
  }
  return out;
}

std::map<std::string, Tensor> WorldModel::probe_losses(const Tensor& features, const Batch& batch,
                                                       bool require_all) const {
  std::map<std::string, Tensor> out;
  const std::int64_t T = features.size(0);
  if (T < 2) return out;
  // Detached features from t = 1: the first state has no estimator of its own (the original).
  const Tensor detached = features.narrow(0, 1, T - 1).detach();
  for (const auto& s : config_.probes) {
    if (!require_all && !batch.find(s.name)) continue;
    const Tensor target = require(batch, s.name).narrow(0, 1, T - 1);
    out[s.name] = -mean(sum(sum_event(probe_decoders.at(s.name)->forward(detached)->log_prob(target)), 0));
  }
  return out;
}

std::map<std::string, Tensor> WorldModel::generate(const State& start, const Tensor& actions, Generator& gen) const {
  const Tensor features = ssm_->rollout(start, actions, gen).features();
  std::map<std::string, Tensor> out;
  for (const auto& s : config_.outputs) out[s.name] = decoders.at(s.name)->forward(features)->mean();
  return out;
}

std::map<std::string, Tensor> WorldModel::imagine(const Batch& batch, std::int64_t context, Generator& gen) const {
  const Tensor embeddings = embed(batch);
  const Tensor& actions = require(batch, "pre_action");
  const std::int64_t T = embeddings.size(0);
  if (context < 1 || context > T)
    throw ValueError("WorldModel::imagine: context must be in [1, " + std::to_string(T) + "], got " + std::to_string(context));
  FilterOutput seen = ssm_->filter(embeddings.narrow(0, 0, context), actions.narrow(0, 0, context), State{}, gen);
  Tensor features = seen.features();
  if (context < T) {
    const FilterOutput dreamt = ssm_->rollout(seen.last(), actions.narrow(0, context, T - context), gen);
    features = cat({features, dreamt.features()}, 0);
  }
  std::map<std::string, Tensor> out;
  for (const auto& s : config_.outputs) out[s.name] = decoders.at(s.name)->forward(features)->mean();
  return out;
}

}  // namespace aime::models
