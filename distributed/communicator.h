// The processes of a data-parallel run and the collectives they share (docs/distributed.md).
// MPI (OpenMPI or MPICH, from the distribution's packages) carries them between processes
// and machines; in CUDA builds with NCCL, sums of GPU tensors go through NCCL, with MPI only
// to start it. No MPI or NCCL header is included here: a program that links aime sees the
// same interface whether the build has MPI or not.
//
//   distributed::Communicator& comm = distributed::world();   // mpirun -np 4 ... : rank 0..3
//   comm.all_reduce_sum(flat.grad);                           // every rank: the sum
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace aime::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The rank among the processes of this machine: which GPU a rank takes.
  virtual int local_rank() const = 0;
  // "single process", "mpi (Open MPI 4.1.4)", "mpi+nccl 2.27.3", ...
  virtual std::string name() const = 0;

  // Sums over ranks in place; every rank gets the sum. Tensors: contiguous float32 or
  // float64, on the CPU (MPI) or on a GPU (NCCL where the build has it; through the host
  // otherwise). The same calls in the same order on every rank, as every MPI collective.
  virtual void all_reduce_sum(Tensor& t) = 0;
  virtual void all_reduce_sum(std::vector<double>& values) = 0;
  // Every rank's `local`, rank 0's first; `local` has the same length on every rank.
  virtual std::vector<std::uint64_t> all_gather(const std::vector<std::uint64_t>& local) = 0;
  // Ends every process of the run at once, with this exit status: what a rank that failed
  // calls so that the others do not wait for it forever in their next collective.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// This process's communicator. A process started by an MPI launcher (mpirun, mpiexec, srun:
// its environment says so) in a build with MPI initialises MPI on the first call and gets
// MPI's world; any other process (and every process of a build without MPI) is a world of
// one, with no MPI call at all. MPI is finalised at exit.
Communicator& world();

// Whether the environment says an MPI launcher started this process (initialises nothing).
bool launched_by_mpi();
// The number of processes the launcher started, from the environment (1 when unknown).
int launcher_world_size();
// The world if world() has been called (so that an error handler can stop the other ranks
// without starting MPI for the first time), null otherwise.
Communicator* started_world();
// The communicator a trainer should use: world() when this process is one of several ranks,
// null when it runs alone. Throws Error in a build without MPI started by a launcher for
// several processes, which would otherwise each train alone into the same folder.
Communicator* data_parallel_world();
// Whether this build has MPI (CMake AIME_MPI) and NCCL (CUDA builds that found it).
bool built_with_mpi();
bool built_with_nccl();

}  // namespace aime::distributed
