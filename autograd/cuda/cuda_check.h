// Checked CUDA and cuBLAS calls. Every runtime call and every kernel launch in
// autograd/cuda/ goes through these, so a failure names the op and the call that failed
// (e.g. "cuda gemm: cublasSgemmStridedBatched failed: CUBLAS_STATUS_INVALID_VALUE")
// instead of surfacing later as garbage. Internal to autograd/cuda/.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "autograd/error.h"

namespace aime::cuda {

[[noreturn]] inline void throw_cuda_error(const char* op, const char* call, cudaError_t err) {
  throw DeviceError(std::string("cuda ") + op + ": " + call + " failed: " + cudaGetErrorName(err) + " (" +
                    cudaGetErrorString(err) + ")");
}

const char* cublas_status_name(cublasStatus_t status);

[[noreturn]] inline void throw_cublas_error(const char* op, const char* call, cublasStatus_t status) {
  throw DeviceError(std::string("cuda ") + op + ": " + call + " failed: " + cublas_status_name(status));
}

}  // namespace aime::cuda

// AIME_CUDA_CHECK(op, cudaMemcpyAsync(...)): throws DeviceError naming op and the call.
#define AIME_CUDA_CHECK(OP, CALL)                                                       \
  do {                                                                                  \
    const cudaError_t aime_err_ = (CALL);                                               \
    if (aime_err_ != cudaSuccess) ::aime::cuda::throw_cuda_error(OP, #CALL, aime_err_); \
  } while (0)

#define AIME_CUBLAS_CHECK(OP, CALL)                                                                   \
  do {                                                                                                \
    const cublasStatus_t aime_st_ = (CALL);                                                           \
    if (aime_st_ != CUBLAS_STATUS_SUCCESS) ::aime::cuda::throw_cublas_error(OP, #CALL, aime_st_);      \
  } while (0)

// After a <<<...>>> launch: a bad configuration or a missing kernel image for this GPU's
// architecture shows up here (errors inside the kernel show at the next synchronisation).
#define AIME_CUDA_CHECK_LAUNCH(OP) AIME_CUDA_CHECK(OP, cudaGetLastError())
