// docs/tutorial.md, section 2: imagination. Filter the first 10 steps of a window, then roll
// the prior alone from the last filtered state under the recorded actions,
// z_t ~ p(z_t | h_t), h_t = f(h_{t-1}, z_{t-1}, a_{t-1}), and decode: the model's open-loop
// prediction of the next 20 steps, against the truth and against repeating the last frame.
#include "examples/pendulum_model.h"

int main() {
  using namespace aime;
  const data::SequenceDataset data = examples::pendulum_episodes("mix", 8, 30, 0);
  Generator gen(0);
  models::WorldModel model(examples::small_rssm(), gen);
  std::printf("training a %lld-parameter RSSM:\n", static_cast<long long>(model.num_parameters()));
  examples::train(model, data, 300, 1);

  NoGradGuard no_grad;
  const Batch window = data.collate({data.window(3)});  // [T = 30, B = 1, ...]
  const std::int64_t context = 10, horizon = 20;
  Batch seen;
  for (const auto& [k, t] : window) seen.set(k, t.narrow(0, 0, context));
  const models::FilterOutput f = model.filter(seen, gen);  // s_1..s_10 from o_1..o_10
  const Tensor actions = window.at("pre_action").narrow(0, context, horizon);
  const auto predicted = model.generate(f.last(), actions, gen);  // o_11..o_30, decoded means
  const Tensor truth = window.at("orientation").narrow(0, context, horizon);
  const Tensor last = window.at("orientation").narrow(0, context - 1, 1).expand(truth.shape());
  std::printf("orientation (cos, sin) after %lld filtered steps:\n  ahead  model error  repeat-last error\n",
              static_cast<long long>(context));
  double model_total = 0, repeat_total = 0;
  for (std::int64_t k = 0; k < horizon; ++k) {
    const double m = mean(square(predicted.at("orientation").select(0, k) - truth.select(0, k))).item();
    const double r = mean(square(last.select(0, k) - truth.select(0, k))).item();
    model_total += m;
    repeat_total += r;
    if (k % 4 == 0) std::printf("  %5lld  %11.4f  %17.4f\n", static_cast<long long>(k + 1), m, r);
  }
  std::printf("mean over %lld steps: model %.4f, repeat-last %.4f\n", static_cast<long long>(horizon),
              model_total / horizon, repeat_total / horizon);
  return model_total < repeat_total ? 0 : 1;  // the model has learnt some of the dynamics
}
