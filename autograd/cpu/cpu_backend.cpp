// CPU memory, registration, and the data-movement kernels (fill, arange, copy, where,
// index_select, index_add, one_hot).
#include "autograd/cpu/cpu_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "autograd/cpu/strided_loop.h"

namespace aime::cpu {

// The registry (backend.cpp) asks for this on first use: a static registrar object would
// be dropped by the linker from a static library that nothing else references.
Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

void* CpuBackend::allocate(std::size_t nbytes, int) { return allocator_.allocate(nbytes); }
void CpuBackend::deallocate(void* ptr, std::size_t, int) { allocator_.deallocate(ptr); }
void CpuBackend::empty_cache(int) { allocator_.empty_cache(); }
MemoryStats CpuBackend::memory_stats(int) const { return allocator_.stats(); }
void CpuBackend::reset_peak_memory(int) { allocator_.reset_peak(); }

void CpuBackend::copy_to_host(void* dst, const void* src, std::size_t nbytes, int) { std::memcpy(dst, src, nbytes); }
void CpuBackend::copy_from_host(void* dst, const void* src, std::size_t nbytes, int) { std::memcpy(dst, src, nbytes); }

void CpuBackend::fill(const Tensor& out, double value) {
  AIME_DISPATCH_ALL(out.dtype(), "fill", [&] {
    scalar_t* p = static_cast<scalar_t*>(out.data_ptr());
    const scalar_t v = static_cast<scalar_t>(value);
    for_each_row<1>(out.shape(), {&out.strides()}, [&](auto off, std::int64_t n, auto st) {
      for (std::int64_t i = 0; i < n; ++i) p[off[0] + i * st[0]] = v;
    });
  });
}

void CpuBackend::arange(const Tensor& out, double start, double step) {
  AIME_DISPATCH_ALL(out.dtype(), "arange", [&] {
    scalar_t* p = static_cast<scalar_t*>(out.data_ptr());
    parallel_for(0, out.numel(), kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) p[i] = static_cast<scalar_t>(start + static_cast<double>(i) * step);
    });
  });
}

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  AIME_DISPATCH_ALL(src.dtype(), "copy", [&] {
    using src_t = scalar_t;
    const src_t* s = static_cast<const src_t*>(src.data_ptr());
    AIME_DISPATCH_ALL(dst.dtype(), "copy", [&] {
      scalar_t* d = static_cast<scalar_t*>(dst.data_ptr());
      if (src.is_contiguous() && dst.is_contiguous()) {
        parallel_for(0, dst.numel(), kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
          for (std::int64_t i = lo; i < hi; ++i) d[i] = static_cast<scalar_t>(s[i]);
        });
        return;
      }
      for_each_row<2>(dst.shape(), {&src.strides(), &dst.strides()}, [&](auto off, std::int64_t n, auto st) {
        for (std::int64_t i = 0; i < n; ++i) d[off[1] + i * st[1]] = static_cast<scalar_t>(s[off[0] + i * st[0]]);
      });
    });
  });
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::uint8_t* c = static_cast<const std::uint8_t*>(cond.data_ptr());
  AIME_DISPATCH_ALL(out.dtype(), "where", [&] {
    const scalar_t* pa = static_cast<const scalar_t*>(a.data_ptr());
    const scalar_t* pb = static_cast<const scalar_t*>(b.data_ptr());
    scalar_t* po = static_cast<scalar_t*>(out.data_ptr());
    for_each_row<4>(out.shape(), {&cond.strides(), &a.strides(), &b.strides(), &out.strides()},
                    [&](auto off, std::int64_t n, auto st) {
                      for (std::int64_t i = 0; i < n; ++i)
                        po[off[3] + i * st[3]] = c[off[0] + i * st[0]] ? pa[off[1] + i * st[1]] : pb[off[2] + i * st[2]];
                    });
  });
}

namespace {
void check_indices(const std::int64_t* idx, std::int64_t m, std::int64_t n, const char* op) {
  for (std::int64_t i = 0; i < m; ++i)
    if (idx[i] < 0 || idx[i] >= n)
      throw ValueError(std::string(op) + ": index " + std::to_string(idx[i]) + " at position " + std::to_string(i) +
                       " is out of range for a dim of size " + std::to_string(n));
}
}  // namespace

void CpuBackend::index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  std::int64_t outer, inner;
  outer_inner(x.shape(), dim, outer, inner);
  const std::int64_t n = x.shape()[dim], m = index.numel();
  const std::int64_t* idx = index.data<std::int64_t>();
  check_indices(idx, m, n, "index_select");
  const std::size_t row_bytes = static_cast<std::size_t>(inner) * dtype_size(x.dtype());
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  parallel_for(0, outer * m, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t r = lo; r < hi; ++r) {
                   const std::int64_t o = r / m, i = r % m;
                   std::memcpy(dst + r * row_bytes, src + (o * n + idx[i]) * row_bytes, row_bytes);
                 }
               });
}

void CpuBackend::index_add(const Tensor& dst, std::int64_t dim, const Tensor& index, const Tensor& src) {
  std::int64_t outer, inner;
  outer_inner(dst.shape(), dim, outer, inner);
  const std::int64_t n = dst.shape()[dim], m = index.numel();
  const std::int64_t* idx = index.data<std::int64_t>();
  check_indices(idx, m, n, "index_add");
  AIME_DISPATCH_ALL(dst.dtype(), "index_add", [&] {
    scalar_t* d = static_cast<scalar_t*>(dst.data_ptr());
    const scalar_t* s = static_cast<const scalar_t*>(src.data_ptr());
    // Parallel over outer rows only: two indices may point at the same destination row.
    parallel_for(0, outer, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(m * inner, 1)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t o = lo; o < hi; ++o)
                     for (std::int64_t i = 0; i < m; ++i) {
                       scalar_t* drow = d + (o * n + idx[i]) * inner;
                       const scalar_t* srow = s + (o * m + i) * inner;
                       for (std::int64_t k = 0; k < inner; ++k) drow[k] += srow[k];
                     }
                 });
  });
}

void CpuBackend::one_hot(const Tensor& index, const Tensor& out) {
  const std::int64_t m = index.numel(), c = out.shape().back();
  const std::int64_t* idx = index.data<std::int64_t>();
  check_indices(idx, m, c, "one_hot");
  fill(out, 0.0);
  AIME_DISPATCH_ALL(out.dtype(), "one_hot", [&] {
    scalar_t* p = static_cast<scalar_t*>(out.data_ptr());
    for (std::int64_t i = 0; i < m; ++i) p[i * c + idx[i]] = scalar_t(1);
  });
}

}  // namespace aime::cpu
