#include "algorithms/model_diagnostics.h"

#include "autograd/api.h"

namespace aime::algorithms {

std::vector<ActionVariant> action_variants() {
  return {{"zero", [](const Tensor& a) { return zeros_like(a); }},
          {"negated", [](const Tensor& a) { return -a; }},
          {"halved", [](const Tensor& a) { return a * 0.5; }},
          {"doubled", [](const Tensor& a) { return clamp(a * 2.0, -1.0, 1.0); }},
          {"other window's", [](const Tensor& a) {  // [T, B, A]: window b gets window b+1's actions
             const std::int64_t B = a.size(1);
             return B > 1 ? cat({a.narrow(1, 1, B - 1), a.narrow(1, 0, 1)}, 1) : zeros_like(a);
           }}};
}

ElboReport evaluate_elbo(const models::WorldModel& model, data::SequenceSampler& sampler, std::int64_t batches,
                         std::uint64_t noise_seed, bool action_check) {
  if (batches < 1) throw ValueError("evaluate_elbo: batches must be >= 1, got " + std::to_string(batches));
  NoGradGuard no_grad;
  const std::vector<ActionVariant> variants = action_check ? action_variants() : std::vector<ActionVariant>{};
  ElboReport report;
  report.batches = batches;
  std::map<std::string, double> sums, lost, kl_rise;
  for (std::int64_t i = 0; i < batches; ++i) {
    const Batch batch = sampler.next();
    const std::uint64_t batch_seed = noise_seed + static_cast<std::uint64_t>(i);
    Generator g(batch_seed);
    const models::ElboTerms t = model.elbo(batch, g);
    sums["elbo"] += t.elbo.item();
    sums["kl"] += t.kl.item();
    for (const auto& [k, v] : t.reconstruction) sums["reconstruction/" + k] += v.item();
    for (const auto& [k, v] : t.mse) sums["mse/" + k] += v.item();
    for (const auto& variant : variants) {
      Batch changed = batch;
      changed.set("pre_action", variant.change(batch.at("pre_action")));
      Generator same(batch_seed);
      const models::ElboTerms c = model.elbo(changed, same);
      lost[variant.name] += t.elbo.item() - c.elbo.item();
      kl_rise[variant.name] += c.kl.item() - t.kl.item();
    }
  }
  const auto n = static_cast<double>(batches);
  for (const auto& [k, v] : sums) report.means[k] = v / n;
  for (const auto& variant : variants)
    report.action_drops.push_back({variant.name, lost[variant.name] / n, kl_rise[variant.name] / n});
  return report;
}

OpenLoopResult imagine_open_loop(const models::WorldModel& model, const Batch& batch, std::int64_t context,
                                 Generator& gen) {
  NoGradGuard no_grad;
  OpenLoopResult r;
  r.predicted = model.imagine(batch, context, gen);
  for (const auto& [name, pred] : r.predicted) {
    const Tensor& truth = batch.at(name);
    const std::int64_t T = truth.size(0), horizon = T - context;
    if (horizon < 1)
      throw ValueError("imagine_open_loop: context " + std::to_string(context) + " leaves no step of " +
                       std::to_string(T) + " to imagine");
    const Tensor future = truth.narrow(0, context, horizon), guess = pred.narrow(0, context, horizon);
    const Tensor last = truth.narrow(0, context - 1, 1).expand(future.shape());
    OpenLoopMetrics m;
    m.model_mse = mean(square(guess - future)).item();
    m.repeat_last_mse = mean(square(last - future)).item();
    m.context_mse = mean(square(pred.narrow(0, 0, context) - truth.narrow(0, 0, context))).item();
    r.metrics[name] = m;
  }
  return r;
}

Tensor open_loop_frames(const Tensor& truth, const Tensor& predicted) {
  if (truth.dim() != 5 || truth.shape() != predicted.shape())
    throw ShapeError("open_loop_frames: truth and prediction must be images [T, B, C, H, W] of one shape, got " +
                     shape_str(truth.shape()) + " and " + shape_str(predicted.shape()));
  std::vector<Tensor> frames;
  for (std::int64_t b = 0; b < truth.size(1); ++b)
    for (int row = 0; row < 3; ++row)
      for (std::int64_t t = 0; t < truth.size(0); ++t) {
        const Tensor x = truth.select(0, t).select(0, b), y = predicted.select(0, t).select(0, b);
        frames.push_back(row == 0 ? x : row == 1 ? y : abs(x - y));
      }
  return stack(frames, 0);
}

}  // namespace aime::algorithms
