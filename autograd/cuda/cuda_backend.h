// The CUDA backend: custom kernels on one stream per device, cuBLAS for GEMM (and for conv
// through im2col), the caching allocator. Internal to autograd/cuda/; ops reach it through
// backend_for(Device::cuda(i)), and no public header includes this one.
//
// Rules every kernel here keeps, so that a whole training step can later be captured in a
// CUDA graph and replayed (the plan in cuda_allocator.h):
//   - all work of a device goes to its stream (Context::stream, never the legacy default
//     stream, on which capture is not allowed), cuBLAS included;
//   - no host synchronisation inside an op: only copy_to_host and synchronize() wait;
//   - a bad index found by a kernel is written to a device-side error word instead of
//     being checked on the host; it is raised (ValueError, naming the op, the index and the
//     dim's size) at the next synchronisation, as PyTorch's device-side asserts are;
//   - memory comes from the caching allocator, which calls cudaMalloc only on a miss;
//   - kernel arguments are passed by value (shapes, strides, scalars): a replay reuses them.
// Random numbers are still drawn on the host and copied (ops/creation.cpp): a captured
// step needs them drawn on the device from a counter instead (Philox, generator.h, is
// counter-based for that reason).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include "autograd/backend.h"
#include "autograd/cuda/cuda_allocator.h"

namespace aime::cuda {

constexpr int kMaxDevices = 16;

// Written by kernels that meet an out-of-range index (the first one wins, atomicCAS on
// `code`), read and cleared by the host at the next synchronisation.
struct KernelError {
  int code;  // 0: none; otherwise an ErrorOp
  int pad;
  long long index;
  long long size;
};
enum ErrorOp : int { kNoError = 0, kIndexSelect = 1, kIndexAdd = 2, kOneHot = 3 };

// Per-device state, created on first use of the device.
struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  KernelError* error = nullptr;  // device memory
  std::unique_ptr<CachingAllocator> allocator;
};

class CudaBackend final : public Backend {
 public:
  ~CudaBackend() override = default;  // contexts die with the process (the driver may be gone)
  const char* name() const override { return "cuda"; }
  int device_count() const override;

  void* allocate(std::size_t nbytes, int device_index) override;
  void deallocate(void* ptr, std::size_t nbytes, int device_index) override;
  MemoryStats memory_stats(int device_index) const override;
  void reset_peak_memory(int device_index) override;
  void empty_cache(int device_index) override;
  void copy_to_host(void* dst, const void* src, std::size_t nbytes, int device_index) override;
  void copy_from_host(void* dst, const void* src, std::size_t nbytes, int device_index) override;
  void synchronize(int device_index) override;

  void fill(const Tensor& out, double value) override;
  void arange(const Tensor& out, double start, double step) override;
  void copy(const Tensor& src, const Tensor& dst) override;
  void unary(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y) override;
  void unary_backward(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                      const Tensor& gx) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void reduce_rows(ReduceOp op, const Tensor& x, const Tensor& out, const Tensor& indices) override;
  void gemm(bool trans_a, bool trans_b, const Tensor& a, const Tensor& b, const Tensor& c, double beta) override;
  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) override;
  void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p, const Tensor& gx) override;
  void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) override;
  void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) override;
  void index_add(const Tensor& dst, std::int64_t dim, const Tensor& index, const Tensor& src) override;
  void one_hot(const Tensor& index, const Tensor& out) override;
  void adam_step(const AdamStepParams& p, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq) override;

  // The device's context, created on first use; also makes the device current.
  Context& context(int device_index) const;
  Context& context(const Tensor& t) const { return context(t.device().index); }

 private:
  // Raises (and clears) an error a kernel left in the device's error word. Called after the
  // stream has been synchronised.
  void raise_device_error(Context& ctx) const;

  // Contexts are created once under the mutex and never destroyed; ops read them without
  // locking (every op asks for its context, so that path is a load and a compare).
  mutable std::mutex mutex_;
  mutable std::array<std::atomic<Context*>, kMaxDevices> contexts_{};
};

CudaBackend& cuda_backend_impl();

}  // namespace aime::cuda
