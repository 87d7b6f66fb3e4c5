// CUDA conv2d through im2col + cuBLAS GEMM, a chunk of images at a time (the column buffer
// of a whole 64x64 batch would not fit; the chunk size depends only on the geometry, so a
// training step allocates the same buffers every time and the cache serves them).
//
//   cols[n, (c, i, j), (oh, ow)] = x[n, c, oh*sh - ph + i, ow*sw - pw + j]   (0 outside)
//   forward:         y[n]  = W [O, CK] . cols[n] [CK, L]          one strided-batched GEMM
//   backward input:  gx[n] = col2im(W^T . gy[n])                   GEMM, then a gather kernel
//   backward weight: gW    = sum_n gy[n] . cols[n]^T
//                          = gy' [O, (n, L)] . cols' [CK, (n, L)]^T  one GEMM per chunk, with
//                            gy' = gy permuted to [O, n, L] and cols' laid out [CK, n, L]
// col2im gathers (each input pixel sums the columns that read it) instead of scattering
// with atomics, so every result is deterministic.
#include <algorithm>

#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"
#include "autograd/ops/conv_geometry.h"
#include "autograd/ops/creation.h"

namespace aime::cuda {

namespace {

// Images per chunk: column buffers of at most ~64M elements (256 MB in float32).
std::int64_t images_per_chunk(const ConvGeometry& g) {
  return std::max<std::int64_t>(1, std::min<std::int64_t>(g.n, (64LL << 20) / std::max<std::int64_t>(g.ck() * g.l(), 1)));
}

// cols[nl * s_n + ck * s_ck + l] for images n0 .. n0 + count of x.
template <class T>
__global__ void im2col_kernel(const T* x, T* cols, ConvGeometry g, std::int64_t n0, std::int64_t count, std::int64_t s_n,
                              std::int64_t s_ck) {
  const std::int64_t L = g.l(), total = count * g.ck() * L;
  AIME_GRID_STRIDE_LOOP(e, total) {
    const std::int64_t l = e % L, ck = (e / L) % g.ck(), nl = e / (L * g.ck());
    const std::int64_t j = ck % g.kw, i = (ck / g.kw) % g.kh, c = ck / (g.kw * g.kh);
    const std::int64_t oh = l / g.wo, ow = l % g.wo;
    const std::int64_t ih = oh * g.sh - g.ph + i, iw = ow * g.sw - g.pw + j;
    T v = T(0);
    if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) v = x[(((n0 + nl) * g.c + c) * g.h + ih) * g.w + iw];
    cols[nl * s_n + ck * s_ck + l] = v;
  }
}

// gx[n0 + nl, c, h, w] = sum of the columns that read that pixel (overwrites gx).
template <class T>
__global__ void col2im_kernel(const T* cols, T* gx, ConvGeometry g, std::int64_t n0, std::int64_t count) {
  const std::int64_t L = g.l(), total = count * g.c * g.h * g.w;
  AIME_GRID_STRIDE_LOOP(e, total) {
    const std::int64_t w = e % g.w, h = (e / g.w) % g.h, c = (e / (g.w * g.h)) % g.c, nl = e / (g.w * g.h * g.c);
    T acc = T(0);
    for (std::int64_t i = 0; i < g.kh; ++i) {
      const std::int64_t t = h + g.ph - i;  // = oh * sh
      if (t < 0 || t % g.sh != 0) continue;
      const std::int64_t oh = t / g.sh;
      if (oh >= g.ho) continue;
      for (std::int64_t j = 0; j < g.kw; ++j) {
        const std::int64_t u = w + g.pw - j;
        if (u < 0 || u % g.sw != 0) continue;
        const std::int64_t ow = u / g.sw;
        if (ow >= g.wo) continue;
        acc += cols[(nl * g.ck() + (c * g.kh + i) * g.kw + j) * L + oh * g.wo + ow];
      }
    }
    gx[(((n0 + nl) * g.c + c) * g.h + h) * g.w + w] = acc;
  }
}

}  // namespace

void CudaBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) {
  const ConvGeometry g = conv_geometry(x, w, y, p);
  if (g.n == 0 || y.numel() == 0) return;
  Context& ctx = context(x);
  const std::int64_t chunk = images_per_chunk(g);
  Tensor cols = Tensor::empty({chunk, g.ck(), g.l()}, x.dtype(), x.device());
  const Tensor w2 = w.view({1, g.o, g.ck()});
  AIME_DISPATCH_FLOATING(x.dtype(), "conv2d", [&] {
    for (std::int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const std::int64_t count = std::min(chunk, g.n - n0);
      im2col_kernel<<<blocks_for(count * g.ck() * g.l()), kThreads, 0, ctx.stream>>>(
          static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(cols.data_ptr()), g, n0, count,
          g.ck() * g.l(), g.l());
      AIME_CUDA_CHECK_LAUNCH("conv2d (im2col)");
      gemm(false, false, w2, cols.narrow(0, 0, count), y.narrow(0, n0, count).view({count, g.o, g.l()}), 0.0);
    }
  });
}

void CudaBackend::conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p, const Tensor& gx) {
  const ConvGeometry g = conv_geometry(gx, w, gy, p);
  if (g.n == 0 || gx.numel() == 0) return;
  Context& ctx = context(gy);
  if (gy.numel() == 0 || g.ck() == 0) {
    fill(gx, 0.0);
    return;
  }
  const std::int64_t chunk = images_per_chunk(g);
  Tensor cols = Tensor::empty({chunk, g.ck(), g.l()}, gy.dtype(), gy.device());
  const Tensor w2 = w.view({1, g.o, g.ck()});
  AIME_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward_input", [&] {
    for (std::int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const std::int64_t count = std::min(chunk, g.n - n0);
      gemm(true, false, w2, gy.narrow(0, n0, count).view({count, g.o, g.l()}), cols.narrow(0, 0, count), 0.0);
      col2im_kernel<<<blocks_for(count * g.c * g.h * g.w), kThreads, 0, ctx.stream>>>(
          static_cast<const scalar_t*>(cols.data_ptr()), static_cast<scalar_t*>(gx.data_ptr()), g, n0, count);
      AIME_CUDA_CHECK_LAUNCH("conv2d_backward_input (col2im)");
    }
  });
}

void CudaBackend::conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) {
  const ConvGeometry g = conv_geometry(x, gw, gy, p);
  if (gw.numel() == 0) return;
  Context& ctx = context(gy);
  if (g.n == 0 || gy.numel() == 0) {
    fill(gw, 0.0);
    return;
  }
  const std::int64_t chunk = images_per_chunk(g);
  Tensor cols = Tensor::empty({g.ck(), chunk, g.l()}, x.dtype(), x.device());
  Tensor gy_t = Tensor::empty({g.o, chunk, g.l()}, gy.dtype(), gy.device());
  const Tensor gw2 = gw.view({1, g.o, g.ck()});
  AIME_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward_weight", [&] {
    for (std::int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const std::int64_t count = std::min(chunk, g.n - n0);
      // cols' [CK, count, L] (stride per image L, per column-row count * L)
      im2col_kernel<<<blocks_for(count * g.ck() * g.l()), kThreads, 0, ctx.stream>>>(
          static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(cols.data_ptr()), g, n0, count, g.l(),
          count * g.l());
      AIME_CUDA_CHECK_LAUNCH("conv2d_backward_weight (im2col)");
      // gy' [O, count, L] = gy[n0 : n0 + count] permuted
      Tensor gy_chunk = gy.narrow(0, n0, count).view({count, g.o, g.l()}).permute({1, 0, 2});
      Tensor gy_dst = gy_t.view({g.o * chunk * g.l()}).narrow(0, 0, g.o * count * g.l()).view({g.o, count, g.l()});
      copy(gy_chunk, gy_dst);
      gemm(false, true, gy_dst.view({1, g.o, count * g.l()}),
           cols.view({g.ck() * chunk * g.l()}).narrow(0, 0, g.ck() * count * g.l()).view({1, g.ck(), count * g.l()}),
           gw2, n0 == 0 ? 0.0 : 1.0);
    }
  });
}

}  // namespace aime::cuda
