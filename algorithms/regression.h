// The baselines' supervised loop (the original's scripts/train_{bc,bco,iidm}.py;
// docs/original.md §4 "Baselines"), on the shared TrainingStep: the windows of a dataset are
// split at random into train and validation (70/30); each epoch is one shuffled pass over
// the train windows in batches of 50 with Adam (lr 1e-3, no clipping); after each epoch
// the validation loss decides when to stop: at least min_epochs epochs (50) and min_steps
// steps (5000 for BCO's and IIDM's dynamics models), then stop once it has not improved for
// `patience` epochs (3), or at max_epochs. The parameters end at the best validation
// epoch's values (the usual early-stopping choice; the original does not say).
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "algorithms/metrics_log.h"
#include "data/sequence_dataset.h"
#include "models/sensors.h"

namespace aime::algorithms {

struct RegressionOptions {
  std::int64_t batch_size = 50;
  double lr = 1e-3;
  double val_fraction = 0.3;
  std::int64_t min_epochs = 50;
  std::int64_t min_steps = 0;
  std::int64_t max_epochs = 1000;
  std::int64_t patience = 3;
  std::int64_t max_val_windows = 0;  // validate on at most this many windows (0: all)
  std::uint64_t seed = 0;            // the split and the shuffles
};

struct RegressionResult {
  std::int64_t steps = 0, epochs = 0, best_epoch = 0;
  double best_val_loss = 0.0;
};

// loss(batch): the scalar to minimise over one batch of windows (time-major, [T, B, ...]).
using WindowLoss = std::function<Tensor(const Batch& batch)>;
// After each epoch: epoch (1-based), steps so far, mean train loss, validation loss.
using EpochCallback = std::function<void(std::int64_t epoch, std::int64_t steps, double train_loss, double val_loss)>;

// Trains `params` on the dataset's windows; `log` (optional) gets a row per epoch (step,
// epoch, train_loss, val_loss).
RegressionResult fit_regression(const data::SequenceDataset& dataset, const std::vector<Tensor>& params,
                                const WindowLoss& loss, const RegressionOptions& options, MetricsLog* log = nullptr,
                                const EpochCallback& on_epoch = {});

}  // namespace aime::algorithms
