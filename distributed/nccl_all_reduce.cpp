// NCCL sums of device buffers (one communicator per process, on the GPU of its local rank).
// Built in CUDA builds that found NCCL (CMake AIME_WITH_NCCL); MPI carries the unique id.
#include <cuda_runtime.h>
#include <nccl.h>

#include <string>

#include "autograd/backend.h"
#include "autograd/error.h"
#include "distributed/mpi_world.h"

namespace aime::distributed::detail {

namespace {
void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw Error(std::string(what) + " failed: " + ncclGetErrorString(r));
}
void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string(what) + " failed: " + cudaGetErrorString(e));
}
}  // namespace

std::vector<char> nccl_unique_id() {
  ncclUniqueId id;
  check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  return std::vector<char>(id.internal, id.internal + sizeof id.internal);
}

NcclSum::NcclSum(int rank, int size, const std::vector<char>& id, int device) {
  ncclUniqueId uid;
  if (id.size() != sizeof uid.internal)
    throw Error("NCCL: the unique id from rank 0 has " + std::to_string(id.size()) + " bytes, expected " +
                std::to_string(sizeof uid.internal));
  std::copy(id.begin(), id.end(), uid.internal);
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  stream_ = stream;
  ncclComm_t comm = nullptr;
  const ncclResult_t r = ncclCommInitRank(&comm, size, uid, rank);
  if (r != ncclSuccess)
    throw Error(std::string("ncclCommInitRank on cuda:") + std::to_string(device) + " failed: " + ncclGetErrorString(r) +
                " (NCCL needs one GPU per rank: start at most as many ranks per machine as it has GPUs, and pass "
                "--device cuda so that each rank takes the GPU of its local rank)");
  comm_ = comm;
}

NcclSum::~NcclSum() {
  if (comm_) ncclCommDestroy(static_cast<ncclComm_t>(comm_));
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

void NcclSum::sum(void* data, std::size_t count, bool float64, int device) {
  synchronize(Device::cuda(device));  // the gradient is complete on the backend's stream
  auto stream = static_cast<cudaStream_t>(stream_);
  check_nccl(ncclAllReduce(data, data, count, float64 ? ncclFloat64 : ncclFloat32, ncclSum,
                           static_cast<ncclComm_t>(comm_), stream),
             "ncclAllReduce");
  check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize after ncclAllReduce");
}

std::string NcclSum::version() {
  int v = 0;
  ncclGetVersion(&v);
  // NCCL_VERSION_CODE: major * 10000 + minor * 100 + patch since 2.9.
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace aime::distributed::detail
