// CPU conv2d through im2col + GEMM (gemm_matrix: Eigen or the CBLAS), per image. Images are
// spread over the threads (each with its own column buffer, GEMM single-threaded inside); a
// batch of one image lets the GEMM library parallelise the product instead.
//
//   cols[(c, i, j), (oh, ow)] = x[c, oh*sh - ph + i, ow*sw - pw + j]   (0 outside the image)
//   forward:         y[n]   = W [O, C*kh*kw] . cols(x[n])             [O, Ho*Wo]
//   backward input:  gx[n]  = col2im(W^T . gy[n])                     (col2im sums overlaps)
//   backward weight: gW     = sum_n gy[n] . cols(x[n])^T
#include <omp.h>

#include <algorithm>
#include <vector>

#include "autograd/cpu/eigen_core.h"

#include "autograd/cpu/cpu_backend.h"
#include "autograd/ops/conv_geometry.h"
#include "autograd/parallel.h"

namespace aime::cpu {

namespace {
template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;


// The output columns ow whose input column iw = ow*sw - pw + j lies inside [0, w): one
// range per kernel column j, so the copy loops below carry no bounds test per element
// (the test per element made im2col a third of a small visual model's training step).
struct ValidColumns {
  std::int64_t lo, hi;  // [lo, hi), possibly empty
  std::int64_t off;     // iw = ow*sw + off
};
inline ValidColumns valid_columns(const ConvGeometry& g, std::int64_t j) {
  const std::int64_t off = j - g.pw;
  std::int64_t lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
  std::int64_t hi = g.w - off <= 0 ? 0 : (g.w - off + g.sw - 1) / g.sw;
  hi = std::min(hi, g.wo);
  lo = std::min(lo, hi);
  return {lo, hi, off};
}

template <class T>
void im2col(const ConvGeometry& g, const T* x, T* cols) {
  const std::int64_t L = g.l(), sw = g.sw;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.kh; ++i)
      for (std::int64_t j = 0; j < g.kw; ++j) {
        T* row = cols + ((c * g.kh + i) * g.kw + j) * L;
        const auto [lo, hi, off] = valid_columns(g, j);
        for (std::int64_t oh = 0; oh < g.ho; ++oh) {
          const std::int64_t ih = oh * g.sh - g.ph + i;
          T* out = row + oh * g.wo;
          if (ih < 0 || ih >= g.h) {
            std::fill(out, out + g.wo, T(0));
            continue;
          }
          const T* in = x + (c * g.h + ih) * g.w;
          std::fill(out, out + lo, T(0));
          if (sw == 1) {
            std::copy(in + lo + off, in + hi + off, out + lo);
          } else if (sw == 2) {  // the common stride as a constant: the gather vectorises (vpermt2ps)
            const T* src = in + off;
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow] = src[2 * ow];
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow * sw + off];
          }
          std::fill(out + hi, out + g.wo, T(0));
        }
      }
}

template <class T>
void col2im(const ConvGeometry& g, const T* cols, T* x) {
  const std::int64_t L = g.l(), sw = g.sw;
  std::fill(x, x + g.c * g.h * g.w, T(0));
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.kh; ++i)
      for (std::int64_t j = 0; j < g.kw; ++j) {
        const T* row = cols + ((c * g.kh + i) * g.kw + j) * L;
        const auto [lo, hi, off] = valid_columns(g, j);
        for (std::int64_t oh = 0; oh < g.ho; ++oh) {
          const std::int64_t ih = oh * g.sh - g.ph + i;
          if (ih < 0 || ih >= g.h) continue;
          T* out = x + (c * g.h + ih) * g.w;
          const T* in = row + oh * g.wo;
          if (sw == 1) {  // the same loop, contiguous: the compiler vectorises it
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow + off] += in[ow];
          } else if (sw == 2) {
            T* dst = out + off;
            for (std::int64_t ow = lo; ow < hi; ++ow) dst[2 * ow] += in[ow];
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow * sw + off] += in[ow];
          }
        }
      }
}

// Runs fn(n, cols_buffer) for every image; in parallel over images when there are several.
template <class T, class Fn>
void for_each_image(const ConvGeometry& g, Fn&& fn) {
  parallel_for(0, g.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<T> cols(static_cast<std::size_t>(g.ck() * g.l()));
    for (std::int64_t n = lo; n < hi; ++n) fn(n, cols.data());
  });
}
}  // namespace

void CpuBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) {
  const ConvGeometry g = conv_geometry(x, w, y, p);
  AIME_DISPATCH_FLOATING(x.dtype(), "conv2d", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.data_ptr());
    scalar_t* py = static_cast<scalar_t*>(y.data_ptr());
    const scalar_t* pw = static_cast<const scalar_t*>(w.data_ptr());
    for_each_image<scalar_t>(g, [&](std::int64_t n, scalar_t* cols) {
      im2col(g, px + n * g.c * g.h * g.w, cols);
      gemm_matrix(false, false, pw, cols, py + n * g.o * g.l(), g.o, g.l(), g.ck(), 0.0);  // Y = W C
    });
  });
}

void CpuBackend::conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p, const Tensor& gx) {
  const ConvGeometry g = conv_geometry(gx, w, gy, p);
  AIME_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward_input", [&] {
    const scalar_t* pgy = static_cast<const scalar_t*>(gy.data_ptr());
    scalar_t* pgx = static_cast<scalar_t*>(gx.data_ptr());
    const scalar_t* pw = static_cast<const scalar_t*>(w.data_ptr());
    for_each_image<scalar_t>(g, [&](std::int64_t n, scalar_t* cols) {
      gemm_matrix(true, false, pw, pgy + n * g.o * g.l(), cols, g.ck(), g.l(), g.o, 0.0);  // C = W^T GY
      col2im(g, cols, pgx + n * g.c * g.h * g.w);
    });
  });
}

namespace {
template <class T>
void conv2d_backward_weight_impl(const ConvGeometry& g, const T* pgy, const T* px, T* pgw) {
  Eigen::Map<RowMajor<T>> GW(pgw, g.o, g.ck());
  GW.setZero();
  // One accumulator per thread, summed in thread order (reproducible for a fixed count).
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), g.n));
  std::vector<RowMajor<T>> partial(std::max(threads, 1), RowMajor<T>::Zero(g.o, g.ck()));
  auto work = [&](int t, std::int64_t lo, std::int64_t hi) {
    std::vector<T> cols(static_cast<std::size_t>(g.ck() * g.l()));
    for (std::int64_t n = lo; n < hi; ++n) {
      im2col(g, px + n * g.c * g.h * g.w, cols.data());
      // partial += GY C^T
      gemm_matrix(false, true, pgy + n * g.o * g.l(), cols.data(), partial[t].data(), g.o, g.ck(), g.l(), 1.0);
    }
  };
  if (threads <= 1) {
    if (g.n > 0) work(0, 0, g.n);
  } else {
#pragma omp parallel num_threads(threads)
    {
      const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const std::int64_t chunk = (g.n + nt - 1) / nt;
      const std::int64_t lo = std::min(g.n, t * chunk), hi = std::min(g.n, lo + chunk);
      work(static_cast<int>(t), lo, hi);
    }
  }
  for (auto& part : partial) GW += part;
}
}  // namespace

void CpuBackend::conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) {
  const ConvGeometry g = conv_geometry(x, gw, gy, p);
  AIME_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward_weight", [&] {
    conv2d_backward_weight_impl(g, static_cast<const scalar_t*>(gy.data_ptr()), static_cast<const scalar_t*>(x.data_ptr()),
                                static_cast<scalar_t*>(gw.data_ptr()));
  });
}

}  // namespace aime::cpu
