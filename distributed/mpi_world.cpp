// MPI's world as a Communicator. Only the main thread calls MPI (MPI_THREAD_FUNNELED); the
// sampler's prefetch thread never does.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#include "autograd/backend.h"
#include "autograd/error.h"
#include "distributed/mpi_world.h"

namespace aime::distributed::detail {

namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(what) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

// MPI counts are ints: sums of more than INT_MAX values go in pieces.
void sum_in_place(void* data, std::size_t count, MPI_Datatype type, std::size_t element) {
  auto* bytes = static_cast<char*>(data);
  for (std::size_t done = 0; done < count;) {
    const std::size_t n = std::min<std::size_t>(count - done, INT_MAX);
    check(MPI_Allreduce(MPI_IN_PLACE, bytes + done * element, static_cast<int>(n), type, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    done += n;
  }
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    }
    // Errors come back as codes (check() turns them into exceptions) instead of aborting
    // inside MPI with a message that names none of our context.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
          "MPI_Comm_split_type");
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    library_.assign(version, static_cast<std::size_t>(length));
    library_ = library_.substr(0, library_.find_first_of(",\n"));
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string name() const override {
#ifdef AIME_HAVE_NCCL
    if (nccl_) return "mpi (" + library_ + "), nccl " + NcclSum::version();
#endif
    return "mpi (" + library_ + ")";
  }

  void all_reduce_sum(Tensor& t) override {
    if (!t.defined() || t.numel() == 0) return;
    if (!t.is_contiguous()) throw ValueError("all_reduce_sum: the tensor must be contiguous");
    const DType dtype = t.dtype();
    if (dtype != kFloat32 && dtype != kFloat64)
      throw DTypeError(std::string("all_reduce_sum: float32 or float64 only, got ") + dtype_name(dtype));
    const bool f64 = dtype == kFloat64;
    const auto count = static_cast<std::size_t>(t.numel());
    if (t.device().is_cpu()) {
      sum_in_place(t.data_ptr(), count, f64 ? MPI_DOUBLE : MPI_FLOAT, f64 ? 8 : 4);
      return;
    }
#ifdef AIME_HAVE_NCCL
    if (!nccl_) {  // collective: every rank makes its first GPU sum at the same step
      std::vector<char> id = rank_ == 0 ? nccl_unique_id() : std::vector<char>();
      int bytes = static_cast<int>(id.size());
      check(MPI_Bcast(&bytes, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
      id.resize(static_cast<std::size_t>(bytes));
      check(MPI_Bcast(id.data(), bytes, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
      nccl_ = std::make_unique<NcclSum>(rank_, size_, id, t.device().index);
    }
    nccl_->sum(t.data_ptr(), count, f64, t.device().index);
#else
    // No NCCL: through the host.
    Tensor host = t.cpu();
    sum_in_place(host.data_ptr(), count, f64 ? MPI_DOUBLE : MPI_FLOAT, f64 ? 8 : 4);
    t.copy_(host);
#endif
  }

  void all_reduce_sum(std::vector<double>& values) override {
    if (!values.empty()) sum_in_place(values.data(), values.size(), MPI_DOUBLE, sizeof(double));
  }

  std::vector<std::uint64_t> all_gather(const std::vector<std::uint64_t>& local) override {
    std::vector<std::uint64_t> out(local.size() * static_cast<std::size_t>(size_));
    check(MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_UINT64_T, out.data(),
                        static_cast<int>(local.size()), MPI_UINT64_T, MPI_COMM_WORLD),
          "MPI_Allgather");
    return out;
  }

  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; the compiler does not know it
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string library_;
#ifdef AIME_HAVE_NCCL
  std::unique_ptr<NcclSum> nccl_;
#endif
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world() { return std::make_unique<MpiWorld>(); }

void finalize_mpi() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Finalize();
}

}  // namespace aime::distributed::detail
