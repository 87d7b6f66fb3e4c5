// ELBO training of the world model alone: the original's scripts/train_model_only.py
// (docs/original.md §3): Adam (lr 3e-4, PyTorch defaults), gradient clipping at norm 100,
// batches of 50 windows of 50 steps drawn uniformly with replacement, epochs x
// batches_per_epoch steps, one seed for the weights, the batches and the model's noise.
// Every step logs a metrics row (CSV or JSONL); every checkpoint_every steps and at the
// end the folder gets the weights and the optimiser state (algorithms/checkpoint.h); with
// resume, a killed run continues exactly where its last checkpoint stopped (bit-identical
// parameters on the CPU to an uninterrupted run).
#pragma once
#include <functional>
#include <map>
#include <string>

#include "data/sequence_dataset.h"
#include "distributed/communicator.h"
#include "models/world_model.h"

namespace aime::algorithms {

struct ModelTrainingOptions {
  std::int64_t epochs = 1000;
  std::int64_t batches_per_epoch = 100;
  std::int64_t batch_size = 50;
  double lr = 3e-4;
  double grad_clip = 100.0;
  std::uint64_t seed = 42;
  // Where the model and its batches live (the sampler moves each batch there).
  Device device = Device::cpu();
  // The parameters' and the batches' dtype: float32 (the original's), or float64 for checks
  // (the folder then holds float64 weights).
  DType dtype = kFloat32;
  std::int64_t checkpoint_every = 100;  // steps
  std::string out_dir;                  // model folder: weights, optimiser, metrics
  std::string metrics_format = "csv";   // or "jsonl"; either with ",tensorboard" (algorithms/metrics_log.h)
  // With ",tensorboard" and an image output: every image_every steps (and at the last), an
  // image summary "prediction/<sensor>" of the step's first two windows, the first half
  // filtered and the rest imagined open loop: rows truth, model, |error| (as `aime imagine`).
  std::int64_t image_every = 100;
  bool resume = false;
  // Stored with every checkpoint besides the training state, e.g. train.env, train.setup,
  // train.dataset (what `aime convert` writes into the original's config.yaml).
  nn::Metadata metadata;
  // Data-parallel over this communicator's ranks (algorithms/data_parallel.h): batch_size is
  // the global batch, and the run's numbers are one process's up to float rounding. Null (or
  // one rank): this process alone.
  distributed::Communicator* communicator = nullptr;
  // Steps between checks that the ranks' parameters are still equal (0: at the start only).
  std::int64_t check_replicas_every = 100;
};

struct StepMetrics {
  std::int64_t step = 0;  // 1-based, after the update
  std::map<std::string, double> values;  // loss, elbo, kl, rec/<sensor>, mse/<sensor>, probe/<sensor>, idm, grad_norm, samples_per_s
};

// The sensors of a dataset's episodes as the model sees them (images [3, H, W], vectors
// [D]; pre_action, reward and the is_* flags are not sensors) and the action size (the
// size of pre_action: ValueError naming the first episode if it has none).
std::vector<models::SensorSpec> dataset_sensors(const data::SequenceDataset& dataset, std::int64_t* action_size);

// The keys a world model reads from episodes: its sensors (inputs, outputs, probes), then
// pre_action with `actions`, then each of `extra` (e.g. "reward") that `available` holds.
// A folder read with only these keys (SequenceDatasetOptions::keys) neither loads nor
// collates the rest: an mdp model's folder of images costs its vectors only.
std::vector<std::string> model_keys(const models::WorldModelConfig& config, bool actions,
                                    const std::vector<std::string>& extra = {},
                                    const std::vector<std::string>& available = {});

// Refuses, before any step, a dataset that lacks a sensor the model encodes, reconstructs or
// probes, or holds it with another per-step shape (and, with `actions`, lacks pre_action of
// the model's action size): ValueError naming the folder, the model and the key, expected
// against found.
void check_dataset_fits_model(const data::SequenceDataset& dataset, const models::WorldModelConfig& config,
                              const std::string& model_name, bool actions);

// A data-parallel rank's part of the batch's loss (algorithms/data_parallel.h): the mean
// terms weighted by the rank's fraction of the batch, `weight`, and the IDM head's NLL, which
// the original sums over the batch, unweighted; summed over ranks, the one-process loss.
// weight 1: terms.loss itself.
Tensor share_of_loss(const models::ElboTerms& terms, double weight);

// Trains `model` (weights as built, or as found in out_dir with resume) on the dataset;
// calls on_step after each step (on rank 0 alone in a data-parallel run, which alone writes). Returns the last step's metrics; resuming a run that has
// already reached epochs x batches_per_epoch returns that step with no values (finished).
StepMetrics train_world_model(models::WorldModel& model, const data::SequenceDataset& dataset,
                              const ModelTrainingOptions& options,
                              const std::function<void(const StepMetrics&, std::int64_t total)>& on_step = {});

}  // namespace aime::algorithms
