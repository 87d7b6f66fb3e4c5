// The command line's side of a data-parallel run (`mpirun -np N aime train-model ...`,
// docs/distributed.md): the communicator, the GPU of each rank, and which rank speaks.
#pragma once
#include <fstream>
#include <iostream>
#include <string>

#include "autograd/backend.h"
#include "autograd/device.h"
#include "distributed/batch_shard.h"
#include "distributed/communicator.h"

namespace aime::app {

struct ParallelRun {
  distributed::Communicator* comm = nullptr;  // null: this process alone
  bool root = true;                           // rank 0 (or alone): prints and writes

  // With several ranks, `--device cuda` means each rank's own GPU: cuda:(local rank mod
  // the GPUs of its machine), one GPU per rank as NCCL expects. cuda:N stays as written.
  Device place(const std::string& device_flag) const {
    Device d = Device::parse(device_flag);
    if (comm && d.is_cuda() && device_flag == "cuda") {
      const int gpus = backend_for(d).device_count();
      if (gpus > 0) d = Device::cuda(comm->local_rank() % gpus);
    }
    return d;
  }
  // " on 4 ranks (mpi (Open MPI v4.1.4), 13 or 12 windows each)", or "" alone.
  std::string describe(std::int64_t batch) const {
    if (!comm) return "";
    const auto first = distributed::shard_batch(batch, 0, comm->size());
    const auto last = distributed::shard_batch(batch, comm->size() - 1, comm->size());
    return " on " + std::to_string(comm->size()) + " ranks (" + comm->name() + ", " + std::to_string(first.size()) +
           (first.size() == last.size() ? "" : " or " + std::to_string(last.size())) + " windows each)";
  }
};

// The other ranks' std::cout and std::cerr go nowhere from here on (their errors still
// reach stderr: main prints them with the rank).
inline ParallelRun parallel_run() {
  ParallelRun run;
  run.comm = distributed::data_parallel_world();
  run.root = !run.comm || run.comm->rank() == 0;
  if (!run.root) {
    static std::ofstream nowhere;  // never opened: every write fails, silently
    std::cout.rdbuf(nowhere.rdbuf());
    std::cerr.rdbuf(nowhere.rdbuf());
  }
  return run;
}

}  // namespace aime::app
