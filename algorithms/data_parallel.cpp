#include "algorithms/data_parallel.h"

#include "distributed/replica_check.h"
#include "nn/flat_parameters.h"

namespace aime::algorithms {

DataParallel::DataParallel(distributed::Communicator* comm, std::int64_t batch_size)
    : comm_(comm && comm->size() > 1 ? comm : nullptr) {
  shard_ = comm_ ? distributed::shard_batch(batch_size, comm_->rank(), comm_->size())
                 : distributed::BatchShard{batch_size, 0, batch_size};
}

void DataParallel::shard_noise(Generator& gen) const {
  if (active()) gen.set_rows(shard_.rows());
}

TrainingStep::GradientHook DataParallel::gradient_hook() const {
  if (!active()) return {};
  distributed::Communicator* comm = comm_;
  return [comm](const OptimizerGroup& group) {
    nn::FlatParameters flat = nn::find_flat_parameters(group.parameters);
    if (flat.defined()) {
      comm->all_reduce_sum(flat.grad);
      return;
    }
    for (const Tensor& p : group.parameters) {
      Tensor g = p.grad();
      // The same graph on every rank: a parameter has a gradient on all of them or on none.
      if (g.defined()) comm->all_reduce_sum(g);
    }
  };
}

void DataParallel::sum(std::map<std::string, double>& values) const {
  if (!active()) return;
  std::vector<double> v;
  for (const auto& [k, x] : values) v.push_back(x);
  comm_->all_reduce_sum(v);
  std::size_t i = 0;
  for (auto& [k, x] : values) x = v[i++];
}

void DataParallel::barrier() const {
  if (!active()) return;
  std::vector<double> arrived{1.0};  // a sum returns when every rank has contributed
  comm_->all_reduce_sum(arrived);
}

void DataParallel::check_configuration(const std::vector<std::pair<std::string, std::string>>& items) const {
  if (!active()) return;
  std::vector<std::pair<std::string, std::uint64_t>> hashes;
  for (const auto& [name, value] : items) hashes.emplace_back(name, distributed::fnv1a(value.data(), value.size()));
  distributed::check_same_on_every_rank(*comm_, "the configuration", hashes);
}

void DataParallel::check_tensors(const std::string& what,
                                 const std::vector<std::pair<std::string, Tensor>>& tensors) const {
  if (active()) distributed::check_same_on_every_rank(*comm_, what, tensors);
}

}  // namespace aime::algorithms
