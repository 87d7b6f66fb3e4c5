// Data parallelism for the trainers (train_world_model, train_aime), as PyTorch's
// DistributedDataParallel does it, on distributed/: every rank holds the whole model and
// optimiser; the global batch of B windows is drawn as one process draws it, and each rank
// computes its share (distributed/batch_shard.h), weighted so that the sum over ranks is
// the one-process loss; between backward and the update the gradients are summed over
// ranks with one in-place all-reduce per optimiser group over its packed buffer (nn's flat
// parameters; one per tensor otherwise); the clip then sees the global norm, and every rank
// applies the same Adam step to the same weights. Rank 0 alone writes metrics, checkpoints
// and progress. docs/distributed.md has the cost model and how to run it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "algorithms/training_step.h"
#include "distributed/batch_shard.h"
#include "distributed/communicator.h"

namespace aime::algorithms {

class DataParallel {
 public:
  // comm null (or of one rank): this process alone, and every method is the identity.
  // ValueError when batch_size < the number of ranks.
  DataParallel(distributed::Communicator* comm, std::int64_t batch_size);

  bool active() const { return comm_ != nullptr && comm_->size() > 1; }
  bool is_root() const { return !comm_ || comm_->rank() == 0; }
  int ranks() const { return comm_ ? comm_->size() : 1; }
  const distributed::BatchShard& shard() const { return shard_; }

  // Shards `gen` to this rank's rows (the model's reparameterisation noise).
  void shard_noise(Generator& gen) const;
  // The TrainingStep hook: sums each group's gradients over the ranks in place.
  TrainingStep::GradientHook gradient_hook() const;
  // Metrics: the sum over ranks of each value (values weighted by shard().weight() by the
  // caller for means, unweighted for sums), in place; every rank gets the same map. Every
  // rank must pass the same keys.
  void sum(std::map<std::string, double>& values) const;

  // Returns on every rank once every rank has called it.
  void barrier() const;

  // Stops every rank (ReplicaMismatchError) unless each item hashes alike on every rank.
  void check_configuration(const std::vector<std::pair<std::string, std::string>>& items) const;
  void check_tensors(const std::string& what, const std::vector<std::pair<std::string, Tensor>>& tensors) const;

 private:
  distributed::Communicator* comm_ = nullptr;
  distributed::BatchShard shard_;
};

}  // namespace aime::algorithms
