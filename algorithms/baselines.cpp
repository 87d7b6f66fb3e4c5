#include "algorithms/baselines.h"

#include <filesystem>

#include "algorithms/policy_checkpoint.h"
#include "autograd/api.h"

namespace aime::algorithms {

namespace {

namespace fs = std::filesystem;

void check_windows(const data::SequenceDataset& d, const FrameStackConfig& c, const std::string& what) {
  if (d.horizon() != c.stack + 1)
    throw ValueError(what + ": windows of " + std::to_string(d.horizon()) + " steps, the frame stack needs " +
                     std::to_string(c.stack + 1) + " (stack + 1)");
}

Batch frames(const Batch& batch, const FrameStackConfig& c, std::int64_t count) {
  Batch out;
  for (const auto& s : c.inputs) out.set(s.name, batch.require(s.name, "baseline").narrow(0, 0, count));
  return out;
}

Batch step_of(const Batch& batch, const std::vector<models::SensorSpec>& sensors, std::int64_t t) {
  Batch out;
  for (const auto& s : sensors) out.set(s.name, batch.at(s.name).select(0, t));
  return out;
}

const Tensor& pre_action(const Batch& batch) {
  return batch.require("pre_action", "baseline");
}

// The policy phase shared by the three: fit, test every test_period epochs, final test, save.
ImitationResult fit_policy(FrameStackPolicy& policy, const data::SequenceDataset& demos, const WindowLoss& loss,
                           const std::string& algo, const BaselineOptions& o, const ImitationCallbacks& callbacks) {
  PeriodicEvaluation evaluation(o.out_dir, o.evaluation, callbacks);
  FrameStackActor actor(policy, algo);
  MetricsLog log((fs::path(o.out_dir) / "metrics.csv").string());
  evaluation.run(actor, 0);
  const RegressionResult r =
      fit_regression(demos, policy.parameters(), loss, o.policy, &log,
                     [&](std::int64_t epoch, std::int64_t steps, double, double) {
                       // The last epoch's test would repeat the final test's first episodes.
                       if (epoch % o.test_period == 0 && epoch < o.policy.max_epochs) evaluation.run(actor, steps);
                       if (callbacks.progress) callbacks.progress(algo, epoch, o.policy.max_epochs);
                     });
  nn::Metadata m = o.metadata;
  m["train.seed"] = std::to_string(o.seed);
  m["train.step"] = std::to_string(r.steps);
  m["train.best_epoch"] = std::to_string(r.best_epoch);
  save_frame_stack_policy(o.out_dir, policy, algo, m);
  ImitationResult result;
  result.steps = r.steps;
  result.final_evaluation = evaluation.final_test(actor, r.steps, o.final_test_episodes);
  return result;
}

void copy_encoder(const models::MultimodalEncoder& from, models::MultimodalEncoder& to) {
  to.load_state_dict(from.state_dict(), true);
}

}  // namespace

ImitationResult train_bc(const data::SequenceDataset& demos, const BaselineOptions& o, const ImitationCallbacks& callbacks) {
  check_windows(demos, o.network, "bc demonstrations");
  fs::create_directories(o.out_dir);
  Generator gen(o.seed);
  FrameStackPolicy policy(o.network, gen);
  const std::int64_t K = o.network.stack;
  auto loss = [&](const Batch& b) {
    return mean(square(policy.forward(frames(b, o.network, K)) - pre_action(b).select(0, K)));
  };
  return fit_policy(policy, demos, loss, "bc", o, callbacks);
}

ImitationResult train_bco(const data::SequenceDataset& embodiment, const data::SequenceDataset& demos,
                          const BaselineOptions& o, const ImitationCallbacks& callbacks) {
  check_windows(embodiment, o.network, "bco embodiment data");
  check_windows(demos, o.network, "bco demonstrations");
  fs::create_directories(o.out_dir);
  Generator gen(o.seed);
  const std::int64_t K = o.network.stack;
  FrameStackConfig idm_config = o.network;
  idm_config.stack = K + 1;
  FrameStackPolicy idm(idm_config, gen);
  {
    MetricsLog log((fs::path(o.out_dir) / "dynamics.csv").string());
    auto idm_loss = [&](const Batch& b) {
      return mean(square(idm.forward(frames(b, o.network, K + 1)) - pre_action(b).select(0, K)));
    };
    fit_regression(embodiment, idm.parameters(), idm_loss, o.dynamics, &log,
                   [&](std::int64_t epoch, std::int64_t, double, double) {
                     if (callbacks.progress) callbacks.progress("bco/inverse-model", epoch, o.dynamics.max_epochs);
                   });
  }
  idm.freeze();
  FrameStackPolicy policy(o.network, gen);
  copy_encoder(*idm.encoder, *policy.encoder);
  auto loss = [&](const Batch& b) {
    Tensor label;
    {
      NoGradGuard no_grad;
      label = idm.forward(frames(b, o.network, K + 1));
    }
    return mean(square(policy.forward(frames(b, o.network, K)) - label));
  };
  return fit_policy(policy, demos, loss, "bco", o, callbacks);
}

ImitationResult train_iidm(const data::SequenceDataset& embodiment, const data::SequenceDataset& demos,
                           const BaselineOptions& o, const ImitationCallbacks& callbacks) {
  check_windows(embodiment, o.network, "iidm embodiment data");
  check_windows(demos, o.network, "iidm demonstrations");
  fs::create_directories(o.out_dir);
  Generator gen(o.seed);
  const std::int64_t K = o.network.stack;
  const std::vector<models::SensorSpec> outputs = o.outputs.empty() ? o.network.inputs : o.outputs;
  ForwardModel forward(o.network, outputs, gen);
  {
    MetricsLog log((fs::path(o.out_dir) / "dynamics.csv").string());
    auto forward_loss = [&](const Batch& b) {
      return forward.loss(frames(b, o.network, K), pre_action(b).select(0, K), step_of(b, outputs, K));
    };
    fit_regression(embodiment, forward.parameters(), forward_loss, o.dynamics, &log,
                   [&](std::int64_t epoch, std::int64_t, double, double) {
                     if (callbacks.progress) callbacks.progress("iidm/forward-model", epoch, o.dynamics.max_epochs);
                   });
  }
  forward.freeze();
  FrameStackPolicy policy(o.network, gen);
  copy_encoder(*forward.encoder, *policy.encoder);
  auto loss = [&](const Batch& b) {
    const Batch stack = frames(b, o.network, K);
    return forward.loss(stack, policy.forward(stack), step_of(b, outputs, K));
  };
  return fit_policy(policy, demos, loss, "iidm", o, callbacks);
}

}  // namespace aime::algorithms
