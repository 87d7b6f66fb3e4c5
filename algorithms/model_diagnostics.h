// What a trained world model can be asked about itself, as numbers a test can check (the
// `aime elbo` and `aime imagine` commands print them):
//   evaluate_elbo: the ELBO, KL and per-sensor reconstruction over batches of windows, and
//     the action check: the ELBO lost when the recorded actions are replaced (zero, negated,
//     halved, doubled and clipped, another window's). It is AIME's whole signal: a model that
//     loses nothing tells actions apart no better than chance, and AIME has nothing to infer
//     them from. The KL's rise is what kl_only AIME sees; the rest is the reconstruction's fall.
//   imagine_open_loop: filter a context, imagine the rest under the data's actions; per output
//     sensor the MSE of the predictions against the truth and against repeating the last
//     context frame (DreamerV3's open-loop summary), and the truth / model / |error| frames.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/sequence_sampler.h"
#include "models/world_model.h"

namespace aime::algorithms {

// A change of a batch's actions [T, B, A]. Actions are clipped to [-1, 1], the bounds of
// every built-in environment.
struct ActionVariant {
  std::string name;
  std::function<Tensor(const Tensor& actions)> change;
};
std::vector<ActionVariant> action_variants();  // zero, negated, halved, doubled, other window's

struct ActionDrop {
  std::string variant;
  double elbo_lost = 0.0;  // nats per window: ELBO(recorded) - ELBO(changed)
  double kl_rise = 0.0;    // KL(changed) - KL(recorded), of it
  double reconstruction_fall() const { return elbo_lost - kl_rise; }
};

struct ElboReport {
  std::int64_t batches = 0;
  std::map<std::string, double> means;  // per batch: elbo, kl, reconstruction/<sensor>, mse/<sensor>
  std::vector<ActionDrop> action_drops;  // with the action check, in action_variants() order
};

// Batch i of `batches` (sampler.next()) is evaluated with noise Generator(noise_seed + i),
// and every variant of it with the same noise, so differences are the actions' alone. No
// gradients are recorded.
ElboReport evaluate_elbo(const models::WorldModel& model, data::SequenceSampler& sampler, std::int64_t batches,
                         std::uint64_t noise_seed, bool action_check);

struct OpenLoopMetrics {
  double model_mse = 0.0;        // imagined steps against the truth
  double repeat_last_mse = 0.0;  // the last context frame repeated, against the truth
  double context_mse = 0.0;      // the filtered steps' reconstruction
};

struct OpenLoopResult {
  std::map<std::string, Tensor> predicted;         // per output sensor: [T, B, ...] decoded means
  std::map<std::string, OpenLoopMetrics> metrics;  // per output sensor
};

// The batch's first `context` steps filtered, the rest imagined (1 <= context < T).
OpenLoopResult imagine_open_loop(const models::WorldModel& model, const Batch& batch, std::int64_t context,
                                 Generator& gen);

// Frames [3 B T, C, H, W] for data::image_grid with T columns: per sequence b the rows
// truth, model and |error| of images [T, B, C, H, W].
Tensor open_loop_frames(const Tensor& truth, const Tensor& predicted);

}  // namespace aime::algorithms
