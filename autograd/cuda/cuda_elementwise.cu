// CUDA elementwise kernels. The maths (value and derivative of each op) is the same
// elementwise_math.h functors the CPU loops instantiate; here they run in device code.
#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"
#include "autograd/ops/elementwise_math.h"

namespace aime::cuda {

namespace {

// y = f(x)
template <class F, class T>
__global__ void unary_kernel(const T* x, T* y, T a, T b, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) y[i] = F::f(x[i], a, b);
}

// gx = gy * f'(x, y)
template <class F, class T>
__global__ void unary_backward_kernel(const T* x, const T* y, const T* gy, T* gx, T a, T b, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) gx[i] = gy[i] * F::df(x[i], y[i], a, b);
}

// out = f(a, b), all contiguous.
template <class F, class T, class O>
__global__ void binary_contiguous_kernel(const T* a, const T* b, O* out, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) out[i] = F::f(a[i], b[i]);
}

// out = f(a, b) with broadcasting (stride 0) or any other strides.
template <class F, class T, class O>
__global__ void binary_strided_kernel(const T* a, const T* b, O* out, StridedIndexer<3> ix, std::int64_t n) {
  AIME_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[3];
    ix.offsets(i, off);
    out[off[2]] = F::f(a[off[0]], b[off[1]]);
  }
}

}  // namespace

void CudaBackend::unary(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y) {
  const std::int64_t n = x.numel();
  if (n == 0) return;
  Context& ctx = context(x);
  AIME_DISPATCH_FLOATING(x.dtype(), "unary", [&] {
    const scalar_t a = static_cast<scalar_t>(p.a), b = static_cast<scalar_t>(p.b);
    math::dispatch_unary(op, [&](auto f) {
      unary_kernel<decltype(f)><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
          static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(y.data_ptr()), a, b, n);
    });
  });
  AIME_CUDA_CHECK_LAUNCH("unary");
}

void CudaBackend::unary_backward(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y,
                                 const Tensor& gy, const Tensor& gx) {
  const std::int64_t n = x.numel();
  if (n == 0) return;
  Context& ctx = context(x);
  AIME_DISPATCH_FLOATING(x.dtype(), "unary_backward", [&] {
    const scalar_t a = static_cast<scalar_t>(p.a), b = static_cast<scalar_t>(p.b);
    math::dispatch_unary(op, [&](auto f) {
      unary_backward_kernel<decltype(f)><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
          static_cast<const scalar_t*>(x.data_ptr()), static_cast<const scalar_t*>(y.data_ptr()),
          static_cast<const scalar_t*>(gy.data_ptr()), static_cast<scalar_t*>(gx.data_ptr()), a, b, n);
    });
  });
  AIME_CUDA_CHECK_LAUNCH("unary_backward");
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  Context& ctx = context(out);
  const bool contiguous = a.is_contiguous() && b.is_contiguous() && out.is_contiguous();
  const auto ix = make_indexer<3>(out.shape(), {&a.strides(), &b.strides(), &out.strides()}, "binary");
  AIME_DISPATCH_ALL(a.dtype(), "binary", [&] {
    math::dispatch_binary(op, [&](auto f) {
      using F = decltype(f);
      auto launch = [&](auto* po) {
        using O = std::remove_pointer_t<decltype(po)>;
        const scalar_t* pa = static_cast<const scalar_t*>(a.data_ptr());
        const scalar_t* pb = static_cast<const scalar_t*>(b.data_ptr());
        if (contiguous)
          binary_contiguous_kernel<F, scalar_t, O><<<blocks_for(n), kThreads, 0, ctx.stream>>>(pa, pb, po, n);
        else
          binary_strided_kernel<F, scalar_t, O><<<blocks_for(n), kThreads, 0, ctx.stream>>>(pa, pb, po, ix, n);
      };
      if (is_comparison(op))
        launch(static_cast<std::uint8_t*>(out.data_ptr()));
      else
        launch(static_cast<scalar_t*>(out.data_ptr()));
    });
  });
  AIME_CUDA_CHECK_LAUNCH("binary");
}

}  // namespace aime::cuda
