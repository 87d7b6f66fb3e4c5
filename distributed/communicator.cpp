#include "distributed/communicator.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "autograd/error.h"
#include "distributed/mpi_world.h"

namespace aime::distributed {

namespace {

// A world of one: every collective is the identity.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string name() const override { return "single process"; }
  void all_reduce_sum(Tensor&) override {}
  void all_reduce_sum(std::vector<double>&) override {}
  std::vector<std::uint64_t> all_gather(const std::vector<std::uint64_t>& local) override { return local; }
  [[noreturn]] void abort(int exit_code) override { std::_Exit(exit_code); }
};

// Finalises MPI at exit (a static's destructor runs after main returns).
struct World {
  std::unique_ptr<Communicator> comm;
  ~World() {
#ifdef AIME_HAVE_MPI
    if (comm && comm->size() > 0) detail::finalize_mpi();
#endif
  }
};

}  // namespace

bool launched_by_mpi() {
  // Open MPI's mpirun, MPICH's hydra (and Slurm's PMI-2), PMIx launchers (srun --mpi=pmix,
  // Open MPI 5's prterun).
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}

int launcher_world_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"})
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  return 1;
}

bool built_with_mpi() {
#ifdef AIME_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool built_with_nccl() {
#ifdef AIME_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

namespace {
World& the_world() {
  static World w;
  return w;
}
}  // namespace

Communicator* started_world() { return the_world().comm.get(); }

Communicator* data_parallel_world() {
  if (!launched_by_mpi()) return nullptr;
  if (!built_with_mpi()) {
    if (launcher_world_size() > 1)
      throw Error("started by an MPI launcher as one of " + std::to_string(launcher_world_size()) +
                  " processes, but this aime was built without MPI (CMake AIME_MPI=OFF, or no MPI found): each "
                  "process would train alone into the same folder; install libopenmpi-dev and rebuild, or run one process");
    return nullptr;
  }
  Communicator& w = world();
  return w.size() > 1 ? &w : nullptr;
}

Communicator& world() {
  World& w = the_world();
  if (!w.comm) {
#ifdef AIME_HAVE_MPI
    if (launched_by_mpi()) w.comm = detail::make_mpi_world();
#endif
    if (!w.comm) w.comm = std::make_unique<SingleProcess>();
  }
  return *w.comm;
}

}  // namespace aime::distributed
