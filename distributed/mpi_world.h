// Private to distributed/: the MPI world (mpi_world.cpp, built with AIME_MPI) and the NCCL
// all-reduce it hands GPU tensors to (nccl_all_reduce.cpp, CUDA builds with NCCL).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "distributed/communicator.h"

namespace aime::distributed::detail {

// Initialises MPI (funneled: only the main thread calls it) and returns its world.
std::unique_ptr<Communicator> make_mpi_world();
// MPI_Finalize when MPI was initialised and not yet finalised.
void finalize_mpi();

// NCCL: one communicator per process on its GPU, for sums of device buffers. `id` is rank
// 0's ncclUniqueId (nccl_unique_id(), broadcast by MPI).
std::vector<char> nccl_unique_id();
class NcclSum {
 public:
  NcclSum(int rank, int size, const std::vector<char>& id, int device);
  ~NcclSum();
  // Sums `count` float32 (or float64) values at the device address `data` in place. Waits
  // for the device's queued work before and for the sum after (the backend's stream is
  // its own; the capture of the step in one CUDA graph is issue 28's lever).
  void sum(void* data, std::size_t count, bool float64, int device);
  static std::string version();

 private:
  void* comm_ = nullptr;  // ncclComm_t
  void* stream_ = nullptr;  // cudaStream_t
};

}  // namespace aime::distributed::detail
