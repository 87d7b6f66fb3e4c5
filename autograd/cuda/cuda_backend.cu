// CUDA devices, memory, copies, synchronisation, and the data-movement kernels (fill,
// arange, copy, where, index_select, index_add, one_hot). See cuda_backend.h for the rules.
#include <string>

#include "autograd/cuda/cublas_loader.h"
#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"

namespace aime {
namespace cuda {

// backend.cpp's registry asks for this (only in a CUDA build).
Backend& cuda_backend() { return cuda_backend_impl(); }

CudaBackend& cuda_backend_impl() {
  static CudaBackend backend;
  return backend;
}

const char* cublas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_(unknown)";
  }
}

int CudaBackend::device_count() const {
  int n = 0;
  // Without a GPU (or a driver) this returns an error: that means "no GPU", not a failure.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

Context& CudaBackend::context(int device_index) const {
  // The device this thread last made current: cudaSetDevice only when it changes.
  thread_local int current_device = -1;
  if (device_index >= 0 && device_index < kMaxDevices) {
    Context* ctx = contexts_[device_index].load(std::memory_order_acquire);
    if (ctx && current_device == device_index) return *ctx;
    if (ctx) {
      AIME_CUDA_CHECK("set device", cudaSetDevice(device_index));
      current_device = device_index;
      return *ctx;
    }
  } else {
    throw aime::DeviceError("cuda: device index " + std::to_string(device_index) + " is out of range");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (Context* ctx = contexts_[device_index].load()) {
    AIME_CUDA_CHECK("set device", cudaSetDevice(device_index));
    current_device = device_index;
    return *ctx;
  }
  const int count = device_count();
  if (device_index >= count)
    throw aime::DeviceError("cuda:" + std::to_string(device_index) + ": this machine has " + std::to_string(count) +
                            " CUDA device(s)" + (count == 0 ? " (no GPU or no driver)" : ""));
  auto ctx = std::make_unique<Context>();
  ctx->device = device_index;
  AIME_CUDA_CHECK("init", cudaSetDevice(device_index));
  AIME_CUDA_CHECK("init", cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  AIME_CUBLAS_CHECK("init", cublas().create(&ctx->cublas));
  AIME_CUBLAS_CHECK("init", cublas().set_stream(ctx->cublas, ctx->stream));
  AIME_CUDA_CHECK("init", cudaMalloc(&ctx->error, sizeof(KernelError)));
  AIME_CUDA_CHECK("init", cudaMemsetAsync(ctx->error, 0, sizeof(KernelError), ctx->stream));
  ctx->allocator = std::make_unique<CachingAllocator>(device_index);
  current_device = device_index;
  Context* raw = ctx.release();  // lives as long as the process
  contexts_[device_index].store(raw, std::memory_order_release);
  return *raw;
}

// ---- memory and copies ----

void* CudaBackend::allocate(std::size_t nbytes, int device_index) {
  return context(device_index).allocator->allocate(nbytes);
}
void CudaBackend::deallocate(void* ptr, std::size_t nbytes, int device_index) {
  if (!ptr) return;
  contexts_[device_index].load(std::memory_order_acquire)->allocator->deallocate(ptr, nbytes);
}
MemoryStats CudaBackend::memory_stats(int device_index) const {
  return context(device_index).allocator->stats();
}
void CudaBackend::reset_peak_memory(int device_index) { context(device_index).allocator->reset_peak(); }
void CudaBackend::empty_cache(int device_index) {
  Context& ctx = context(device_index);
  AIME_CUDA_CHECK("empty_cache", cudaStreamSynchronize(ctx.stream));
  ctx.allocator->empty_cache();
}

void CudaBackend::raise_device_error(Context& ctx) const {
  KernelError e{};
  AIME_CUDA_CHECK("check errors", cudaMemcpy(&e, ctx.error, sizeof(e), cudaMemcpyDeviceToHost));
  if (e.code == kNoError) return;
  AIME_CUDA_CHECK("check errors", cudaMemset(ctx.error, 0, sizeof(KernelError)));
  const char* op = e.code == kIndexSelect ? "index_select" : e.code == kIndexAdd ? "index_add" : "one_hot";
  throw ValueError(std::string(op) + ": index " + std::to_string(e.index) + " is out of range for a dim of size " +
                   std::to_string(e.size) + " (found by a kernel on cuda:" + std::to_string(ctx.device) +
                   ", raised at the next synchronisation)");
}

void CudaBackend::copy_to_host(void* dst, const void* src, std::size_t nbytes, int device_index) {
  Context& ctx = context(device_index);
  if (nbytes > 0) AIME_CUDA_CHECK("copy to host", cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, ctx.stream));
  AIME_CUDA_CHECK("copy to host", cudaStreamSynchronize(ctx.stream));
  raise_device_error(ctx);
}

void CudaBackend::copy_from_host(void* dst, const void* src, std::size_t nbytes, int device_index) {
  Context& ctx = context(device_index);
  if (nbytes == 0) return;
  // From pageable memory the call returns once the source has been staged, so the caller
  // may free it at once; the transfer itself is ordered on the stream with the kernels.
  AIME_CUDA_CHECK("copy from host", cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, ctx.stream));
}

void CudaBackend::synchronize(int device_index) {
  Context& ctx = context(device_index);
  AIME_CUDA_CHECK("synchronize", cudaStreamSynchronize(ctx.stream));
  raise_device_error(ctx);
}

// ---- data movement kernels ----

namespace {

template <class T>
__global__ void fill_kernel(T* out, T value, StridedIndexer<1> ix, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[1];
    ix.offsets(i, off);
    out[off[0]] = value;
  }
}

template <class T>
__global__ void arange_kernel(T* out, double start, double step, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) out[i] = static_cast<T>(start + static_cast<double>(i) * step);
}

template <class S, class D>
__global__ void copy_kernel(const S* src, D* dst, StridedIndexer<2> ix, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[2];
    ix.offsets(i, off);
    dst[off[1]] = static_cast<D>(src[off[0]]);
  }
}

template <class T>
__global__ void where_kernel(const std::uint8_t* c, const T* a, const T* b, T* out, StridedIndexer<4> ix,
                             std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[4];
    ix.offsets(i, off);
    out[off[3]] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

__device__ void report_bad_index(KernelError* err, int op, std::int64_t index, std::int64_t size) {
  if (atomicCAS(&err->code, 0, op) == 0) {
    err->index = index;
    err->size = size;
  }
}

// out[o, i, k] = x[o, idx[i], k]
template <class T>
__global__ void index_select_kernel(const T* x, const std::int64_t* idx, T* out, std::int64_t m, std::int64_t n,
                                    std::int64_t inner, std::int64_t total, KernelError* err) {
  AIME_GRID_STRIDE_LOOP(e, total) {
    const std::int64_t k = e % inner, r = e / inner, i = r % m, o = r / m;
    const std::int64_t j = idx[i];
    if (j < 0 || j >= n) {
      report_bad_index(err, kIndexSelect, j, n);
      out[e] = T(0);
      continue;
    }
    out[e] = x[(o * n + j) * inner + k];
  }
}

// dst[o, idx[i], k] += src[o, i, k]. One thread per (o, k) walks i in order: two indices
// may name the same row, and summing in index order (no atomics) keeps the result
// deterministic and equal to the CPU's.
template <class T>
__global__ void index_add_kernel(T* dst, const std::int64_t* idx, const T* src, std::int64_t m, std::int64_t n,
                                 std::int64_t inner, std::int64_t total, KernelError* err) {
  AIME_GRID_STRIDE_LOOP(e, total) {
    const std::int64_t k = e % inner, o = e / inner;
    for (std::int64_t i = 0; i < m; ++i) {
      const std::int64_t j = idx[i];
      if (j < 0 || j >= n) {
        report_bad_index(err, kIndexAdd, j, n);
        continue;
      }
      dst[(o * n + j) * inner + k] += src[(o * m + i) * inner + k];
    }
  }
}

template <class T>
__global__ void one_hot_kernel(const std::int64_t* idx, T* out, std::int64_t m, std::int64_t c, KernelError* err) {
  AIME_GRID_STRIDE_LOOP(i, m) {
    const std::int64_t j = idx[i];
    if (j < 0 || j >= c)
      report_bad_index(err, kOneHot, j, c);
    else
      out[i * c + j] = T(1);
  }
}


}  // namespace

void CudaBackend::fill(const Tensor& out, double value) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  Context& ctx = context(out);
  const auto ix = make_indexer<1>(out.shape(), {&out.strides()}, "fill");
  AIME_DISPATCH_ALL(out.dtype(), "fill", [&] {
    fill_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<scalar_t*>(out.data_ptr()),
                                                             static_cast<scalar_t>(value), ix, n);
  });
  AIME_CUDA_CHECK_LAUNCH("fill");
}

void CudaBackend::arange(const Tensor& out, double start, double step) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  Context& ctx = context(out);
  AIME_DISPATCH_ALL(out.dtype(), "arange", [&] {
    arange_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<scalar_t*>(out.data_ptr()), start, step, n);
  });
  AIME_CUDA_CHECK_LAUNCH("arange");
}

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  const std::int64_t n = dst.numel();
  if (n == 0) return;
  Context& ctx = context(dst);
  const auto ix = make_indexer<2>(dst.shape(), {&src.strides(), &dst.strides()}, "copy");
  AIME_DISPATCH_ALL(src.dtype(), "copy", [&] {
    using src_t = scalar_t;
    AIME_DISPATCH_ALL(dst.dtype(), "copy", [&] {
      copy_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const src_t*>(src.data_ptr()),
                                                               static_cast<scalar_t*>(dst.data_ptr()), ix, n);
    });
  });
  AIME_CUDA_CHECK_LAUNCH("copy");
}

void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  Context& ctx = context(out);
  const auto ix =
      make_indexer<4>(out.shape(), {&cond.strides(), &a.strides(), &b.strides(), &out.strides()}, "where");
  AIME_DISPATCH_ALL(out.dtype(), "where", [&] {
    where_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(
        static_cast<const std::uint8_t*>(cond.data_ptr()), static_cast<const scalar_t*>(a.data_ptr()),
        static_cast<const scalar_t*>(b.data_ptr()), static_cast<scalar_t*>(out.data_ptr()), ix, n);
  });
  AIME_CUDA_CHECK_LAUNCH("where");
}

void CudaBackend::index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  std::int64_t outer, inner;
  outer_inner(x.shape(), dim, outer, inner);
  const std::int64_t n = x.shape()[dim], m = index.numel(), total = out.numel();
  if (total == 0) return;
  Context& ctx = context(out);
  AIME_DISPATCH_ALL(x.dtype(), "index_select", [&] {
    index_select_kernel<<<blocks_for(total), kThreads, 0, ctx.stream>>>(
        static_cast<const scalar_t*>(x.data_ptr()), static_cast<const std::int64_t*>(index.data_ptr()),
        static_cast<scalar_t*>(out.data_ptr()), m, n, inner, total, ctx.error);
  });
  AIME_CUDA_CHECK_LAUNCH("index_select");
}

void CudaBackend::index_add(const Tensor& dst, std::int64_t dim, const Tensor& index, const Tensor& src) {
  std::int64_t outer, inner;
  outer_inner(dst.shape(), dim, outer, inner);
  const std::int64_t n = dst.shape()[dim], m = index.numel(), total = outer * inner;
  if (total == 0 || m == 0) return;
  Context& ctx = context(dst);
  AIME_DISPATCH_ALL(dst.dtype(), "index_add", [&] {
    index_add_kernel<<<blocks_for(total), kThreads, 0, ctx.stream>>>(
        static_cast<scalar_t*>(dst.data_ptr()), static_cast<const std::int64_t*>(index.data_ptr()),
        static_cast<const scalar_t*>(src.data_ptr()), m, n, inner, total, ctx.error);
  });
  AIME_CUDA_CHECK_LAUNCH("index_add");
}

void CudaBackend::one_hot(const Tensor& index, const Tensor& out) {
  fill(out, 0.0);
  const std::int64_t m = index.numel(), c = out.shape().back();
  if (m == 0) return;
  Context& ctx = context(out);
  AIME_DISPATCH_ALL(out.dtype(), "one_hot", [&] {
    one_hot_kernel<<<blocks_for(m), kThreads, 0, ctx.stream>>>(static_cast<const std::int64_t*>(index.data_ptr()),
                                                                static_cast<scalar_t*>(out.data_ptr()), m, c,
                                                                ctx.error);
  });
  AIME_CUDA_CHECK_LAUNCH("one_hot");
}

}  // namespace cuda
}  // namespace aime
