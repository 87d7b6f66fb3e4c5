// CPU conv2d through im2col + GEMM (gemm_matrix: Eigen or the CBLAS), per image. Images are
// spread over the threads (each with its own column buffer, GEMM single-threaded inside); a
// batch of one image lets the GEMM library parallelise the product instead. Layers with at
// most 16 output channels and more than 64 positions per image, unpadded, skip the columns
// and run the direct kernels of cpu_conv_direct.h instead (the pixel demo's layers next to
// the image; benchmarks/README.md, lever 22); so does the input gradient of layers with at
// most 32 input channels whose rows are too short for its direct kernel (lever 30).
//
// Where an image has few output positions (l = ho*wo at most 64, the crossover measured in
// benchmarks/README.md, "Convolutions with few positions"), one product per image is a thin
// one (at l = 1, the cnn_ha decoder's first layer, a GEMV that reads the whole 13 MB weight
// per image) and memory-bound. Those layers run over chunks of images instead, the chunk's
// columns side by side, so that each product is one wide GEMM:
//   cols[(c, i, j), (n, pos)]   the chunk's columns                 [C*kh*kw, nb*l]
//   forward:         y    = W . cols                               [O, nb*l]
//   backward input:  cols = W^T . gy, then col2im per image
//   backward weight: gW  += gy . cols^T
// with [O, nb*l] <-> [nb, O, l] copies of runs of l values. Same sums in another order:
// results equal the per-image path's to rounding.
//
//   cols[(c, i, j), (oh, ow)] = x[c, oh*sh - ph + i, ow*sw - pw + j]   (0 outside the image)
//   forward:         y[n]   = W [O, C*kh*kw] . cols(x[n])             [O, Ho*Wo]
//   backward input:  gx[n]  = col2im(W^T . gy[n])                     (col2im sums overlaps)
//   backward weight: gW     = sum_n gy[n] . cols(x[n])^T
// conv2d_forward_and_backward_weight runs the first and the last over the same columns
// (conv_transpose2d's backward needs both over dy: one im2col per image instead of two).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/cpu/eigen_core.h"

#include "autograd/cpu/cpu_backend.h"
#include "autograd/cpu/cpu_conv_direct.h"
#include "autograd/ops/conv_geometry.h"
#include "autograd/parallel.h"

namespace aime::cpu {

namespace {
template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Column buffers: one per thread and use, kept from call to call and grown, never shrunk.
// A buffer allocated per call was zero-filled (std::vector) and, at megabytes, handed back
// to the system by the allocator and faulted in again page by page: 11,000 page faults per
// step of the demo's pixel model (benchmarks/README.md, lever 21). Every user writes the
// whole of what it reads (im2col writes the padding's zeros too), so no fill is needed.
enum class Scratch { kImageColumns, kChunkColumns, kChunkOutputs, kCount };
template <class T>
T* scratch(Scratch use, std::int64_t count) {
  thread_local std::vector<T> buffers[static_cast<int>(Scratch::kCount)];
  std::vector<T>& b = buffers[static_cast<int>(use)];
  if (b.size() < static_cast<std::size_t>(count)) {
    b.clear();
    b.shrink_to_fit();
    b.resize(static_cast<std::size_t>(count));
  }
  return b.data();
}


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

// Row r of the columns starts at cols + r * ld (ld = l for one image's own buffer; wider
// when the columns of several images sit side by side).
template <class T>
void im2col(const ConvGeometry& g, const T* x, T* cols, std::int64_t ld) {
  const std::int64_t L = ld, sw = g.sw;
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
void col2im(const ConvGeometry& g, const T* cols, T* x, std::int64_t ld) {
  const std::int64_t L = ld, sw = g.sw;
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

// Gather tables for the layers with few positions per image (the batched path below). There a
// row of columns is 1-6 values long, and im2col's and col2im's per-row work above (bounds,
// fills, a stride-2 loop of a few values) cost about ten cycles per value: 41% of a 32x32
// pixel model's training step (benchmarks/README.md, lever 27). A table of each column
// value's offset in its image, built once per geometry, turns both into one flat loop:
//   cols[r, pos] = x[idx[r, pos]]         (im2col)
//   x[idx[r, pos]] += cols[r, pos]        (col2im: the same terms in the same order as above)
// Unpadded geometries only (every value has an offset); the table is int32, so an image
// of at most 2^31 values.
struct GatherTable {
  std::int64_t key[11];
  std::vector<std::int32_t> offsets;  // [ck, l]
};
bool gather_tables_enabled = true;
// The calling thread's table for g (kept for the next call; a few geometries per model), or
// nullptr where tables do not apply (padded, too large, or turned off): the row loops then.
// Callers hand the pointer to their parallel regions; only this thread grows the cache.
const std::int32_t* gather_table(const ConvGeometry& g) {
  if (!gather_tables_enabled || g.ph != 0 || g.pw != 0 || g.c * g.h * g.w >= (std::int64_t{1} << 31)) return nullptr;
  thread_local std::vector<std::unique_ptr<GatherTable>> cache;
  const std::int64_t key[11] = {g.c, g.h, g.w, g.kh, g.kw, g.ho, g.wo, g.sh, g.sw, g.ph, g.pw};
  for (const auto& t : cache)
    if (std::equal(key, key + 11, t->key)) return t->offsets.data();
  auto t = std::make_unique<GatherTable>();
  std::copy(key, key + 11, t->key);
  t->offsets.resize(static_cast<std::size_t>(g.ck() * g.l()));
  std::int32_t* o = t->offsets.data();
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.kh; ++i)
      for (std::int64_t j = 0; j < g.kw; ++j)
        for (std::int64_t oh = 0; oh < g.ho; ++oh)
          for (std::int64_t ow = 0; ow < g.wo; ++ow)
            *o++ = static_cast<std::int32_t>((c * g.h + oh * g.sh + i) * g.w + ow * g.sw + j);
  cache.push_back(std::move(t));
  return cache.back()->offsets.data();
}

template <class T>
void im2col_gather(const ConvGeometry& g, const std::int32_t* idx, const T* x, T* cols, std::int64_t ld) {
  const std::int64_t rows = g.ck(), l = g.l();
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int32_t* ir = idx + r * l;
    T* out = cols + r * ld;
    for (std::int64_t p = 0; p < l; ++p) out[p] = x[ir[p]];
  }
}

template <class T>
void col2im_scatter(const ConvGeometry& g, const std::int32_t* idx, const T* cols, T* x, std::int64_t ld) {
  const std::int64_t rows = g.ck(), l = g.l();
  std::fill(x, x + g.c * g.h * g.w, T(0));
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int32_t* ir = idx + r * l;
    const T* in = cols + r * ld;
    for (std::int64_t p = 0; p < l; ++p) x[ir[p]] += in[p];
  }
}

// Runs fn(n, cols_buffer) for every image; in parallel over images when there are several.
template <class T, class Fn>
void for_each_image(const ConvGeometry& g, Fn&& fn) {
  parallel_for(0, g.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    T* cols = scratch<T>(Scratch::kImageColumns, g.ck() * g.l());
    for (std::int64_t n = lo; n < hi; ++n) fn(n, cols);
  });
}

// Output positions per image up to which a layer runs batched over images (see the top), and
// the bytes of one chunk's stacked columns. Set by tests to compare both paths.
std::int64_t batched_max_positions = 64;
constexpr std::int64_t kBatchedChunkBytes = std::int64_t{8} << 20;
// and at most this many columns (images x positions) per chunk, so that a chunk's columns
// and outputs stay in cache from im2col to the product to the copy-out (lever 28: 1,024
// against 8 MB chunks made the batched layers 1.2-2x faster at every width measured).
std::int64_t batched_chunk_columns = 1024;

bool batched(const ConvGeometry& g) { return g.l() <= batched_max_positions && g.n > 1; }

// Layers with more positions and at most 16 output channels, without padding, run the direct
// kernels (autograd/cpu/cpu_conv_direct.h): no column buffers. Set by tests to compare both
// paths.
bool direct_enabled = true;
bool direct(const ConvGeometry& g) { return direct_enabled && conv_direct_applies(g, batched_max_positions); }
bool direct_input(const ConvGeometry& g) {
  return direct_enabled && conv_direct_input_applies(g, batched_max_positions);
}
bool channel_input(const ConvGeometry& g) {
  return direct_enabled && conv_channel_input_applies(g, batched_max_positions);
}

// Images per chunk: the chunk's columns within kBatchedChunkBytes and batched_chunk_columns,
// at least one image.
template <class T>
std::int64_t chunk_images(const ConvGeometry& g) {
  const std::int64_t by_bytes = kBatchedChunkBytes / (g.l() * g.ck() * static_cast<std::int64_t>(sizeof(T)));
  const std::int64_t by_columns = batched_chunk_columns / g.l();
  return std::max<std::int64_t>(1, std::min({g.n, by_bytes, by_columns}));
}

// The columns of images [n0, n0 + nb) side by side: cols[r, b*l + pos] (im2col per image, in
// parallel, each into its own columns).
template <class T>
void chunk_columns(const ConvGeometry& g, const T* x, std::int64_t n0, std::int64_t nb, T* cols) {
  const std::int32_t* idx = gather_table(g);
  parallel_for(0, nb, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b) {
      const T* image = x + (n0 + b) * g.c * g.h * g.w;
      if (idx) im2col_gather(g, idx, image, cols + b * g.l(), nb * g.l());
      else im2col(g, image, cols + b * g.l(), nb * g.l());
    }
  });
}

// The chunk's outputs sit as wide[o, b*l + pos] in the product's layout and as
// y[n0 + b, o, pos] in the tensor: fn(wide_offset, y_offset) for each run of l contiguous
// values, to copy one way or the other.
template <class Fn>
void for_each_output_run(const ConvGeometry& g, std::int64_t n0, std::int64_t nb, Fn&& fn) {
  const std::int64_t l = g.l();
  parallel_for(0, nb, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(g.o * l, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b)
      for (std::int64_t o = 0; o < g.o; ++o) fn(o * nb * l + b * l, ((n0 + b) * g.o + o) * l);
  });
}

// Calls fn(n0, nb, cols, wide) for each chunk of images [n0, n0 + nb), with the chunk's
// column buffer [ck, nb*l] and output buffer [O, nb*l] (allocated once for all chunks).
template <class T, class Fn>
void for_each_chunk(const ConvGeometry& g, Fn&& fn) {
  const std::int64_t l = g.l(), step = chunk_images<T>(g);
  T* cols = scratch<T>(Scratch::kChunkColumns, g.ck() * step * l);
  T* wide = scratch<T>(Scratch::kChunkOutputs, g.o * step * l);
  for (std::int64_t n0 = 0; n0 < g.n; n0 += step) fn(n0, std::min(step, g.n - n0), cols, wide);
}

template <class T>
void conv2d_forward_batched(const ConvGeometry& g, const T* x, const T* w, T* y) {
  for_each_chunk<T>(g, [&](std::int64_t n0, std::int64_t nb, T* cols, T* wide) {
    chunk_columns(g, x, n0, nb, cols);
    gemm_matrix(false, false, w, cols, wide, g.o, nb * g.l(), g.ck(), 0.0);  // W . cols
    for_each_output_run(g, n0, nb, [&](std::int64_t wi, std::int64_t yi) { std::copy(wide + wi, wide + wi + g.l(), y + yi); });
  });
}

template <class T>
void conv2d_backward_input_batched(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  const std::int32_t* idx = gather_table(g);
  for_each_chunk<T>(g, [&](std::int64_t n0, std::int64_t nb, T* cols, T* wide) {
    for_each_output_run(g, n0, nb, [&](std::int64_t wi, std::int64_t yi) { std::copy(gy + yi, gy + yi + g.l(), wide + wi); });
    gemm_matrix(true, false, w, wide, cols, g.ck(), nb * g.l(), g.o, 0.0);  // W^T . gy
    parallel_for(0, nb, 1, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        T* image = gx + (n0 + b) * g.c * g.h * g.w;
        if (idx) col2im_scatter(g, idx, cols + b * g.l(), image, nb * g.l());
        else col2im(g, cols + b * g.l(), image, nb * g.l());
      }
    });
  });
}

// gw = sum over the batch of gy . cols(x)^T; with w and y given, also y = W . cols(x) from the
// same columns (conv2d_forward_and_backward_weight).
template <class T>
void conv2d_backward_weight_batched(const ConvGeometry& g, const T* gy, const T* x, T* gw, const T* w = nullptr,
                                    T* y = nullptr) {
  for_each_chunk<T>(g, [&](std::int64_t n0, std::int64_t nb, T* cols, T* wide) {
    chunk_columns(g, x, n0, nb, cols);
    if (y) {
      gemm_matrix(false, false, w, cols, wide, g.o, nb * g.l(), g.ck(), 0.0);  // W . cols
      for_each_output_run(g, n0, nb, [&](std::int64_t wi, std::int64_t yi) { std::copy(wide + wi, wide + wi + g.l(), y + yi); });
    }
    for_each_output_run(g, n0, nb, [&](std::int64_t wi, std::int64_t yi) { std::copy(gy + yi, gy + yi + g.l(), wide + wi); });
    gemm_matrix(false, true, wide, cols, gw, g.o, g.ck(), nb * g.l(), n0 == 0 ? 0.0 : 1.0);  // gy . cols^T
  });
}
}  // namespace

void set_conv_batched_max_positions(std::int64_t positions) { batched_max_positions = positions; }
void set_conv_direct(bool enabled) { direct_enabled = enabled; }
void set_conv_gather_tables(bool enabled) { gather_tables_enabled = enabled; }
void set_conv_batched_chunk_columns(std::int64_t columns) { batched_chunk_columns = columns; }

void CpuBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) {
  const ConvGeometry g = conv_geometry(x, w, y, p);
  AIME_DISPATCH_FLOATING(x.dtype(), "conv2d", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.data_ptr());
    scalar_t* py = static_cast<scalar_t*>(y.data_ptr());
    const scalar_t* pw = static_cast<const scalar_t*>(w.data_ptr());
    if (direct(g)) return conv2d_forward_direct(g, px, pw, py);
    if (batched(g)) return conv2d_forward_batched(g, px, pw, py);
    for_each_image<scalar_t>(g, [&](std::int64_t n, scalar_t* cols) {
      im2col(g, px + n * g.c * g.h * g.w, cols, g.l());
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
    if (direct_input(g)) return conv2d_backward_input_direct(g, pgy, pw, pgx);
    if (channel_input(g)) return conv2d_backward_input_channels(g, pgy, pw, pgx);
    if (batched(g)) return conv2d_backward_input_batched(g, pgy, pw, pgx);
    for_each_image<scalar_t>(g, [&](std::int64_t n, scalar_t* cols) {
      gemm_matrix(true, false, pw, pgy + n * g.o * g.l(), cols, g.ck(), g.l(), g.o, 0.0);  // C = W^T GY
      col2im(g, cols, pgx + n * g.c * g.h * g.w, g.l());
    });
  });
}

namespace {
// One image at a time; with pw and py given, also py = W . cols(x) from the same columns.
template <class T>
void conv2d_backward_weight_impl(const ConvGeometry& g, const T* pgy, const T* px, T* pgw, const T* pw = nullptr,
                                 T* py = nullptr) {
  Eigen::Map<RowMajor<T>> GW(pgw, g.o, g.ck());
  GW.setZero();
  // One accumulator per thread, summed in thread order (reproducible for a fixed count).
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), g.n));
  std::vector<RowMajor<T>> partial(std::max(threads, 1), RowMajor<T>::Zero(g.o, g.ck()));
  auto work = [&](int t, std::int64_t lo, std::int64_t hi) {
    T* cols = scratch<T>(Scratch::kImageColumns, g.ck() * g.l());
    for (std::int64_t n = lo; n < hi; ++n) {
      im2col(g, px + n * g.c * g.h * g.w, cols, g.l());
      if (py) gemm_matrix(false, false, pw, cols, py + n * g.o * g.l(), g.o, g.l(), g.ck(), 0.0);  // Y = W C
      // partial += GY C^T
      gemm_matrix(false, true, pgy + n * g.o * g.l(), cols, partial[t].data(), g.o, g.ck(), g.l(), 1.0);
    }
  };
  parallel_for_each_thread(g.n, threads, work);
  for (auto& part : partial) GW += part;
}
}  // namespace

void CpuBackend::conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) {
  const ConvGeometry g = conv_geometry(x, gw, gy, p);
  AIME_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward_weight", [&] {
    if (direct(g))
      return conv2d_backward_weight_direct(g, static_cast<const scalar_t*>(gy.data_ptr()),
                                           static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(gw.data_ptr()));
    if (batched(g))
      return conv2d_backward_weight_batched(g, static_cast<const scalar_t*>(gy.data_ptr()),
                                            static_cast<const scalar_t*>(x.data_ptr()), static_cast<scalar_t*>(gw.data_ptr()));
    conv2d_backward_weight_impl(g, static_cast<const scalar_t*>(gy.data_ptr()), static_cast<const scalar_t*>(x.data_ptr()),
                                static_cast<scalar_t*>(gw.data_ptr()));
  });
}

void CpuBackend::conv2d_forward_and_backward_weight(const Tensor& x, const Tensor& w, const Tensor& gy,
                                                    const Conv2dParams& p, const Tensor& y, const Tensor& gw) {
  const ConvGeometry g = conv_geometry(x, w, y, p);
  AIME_DISPATCH_FLOATING(x.dtype(), "conv2d_forward_and_backward_weight", [&] {
    const auto* px = static_cast<const scalar_t*>(x.data_ptr());
    const auto* pw = static_cast<const scalar_t*>(w.data_ptr());
    const auto* pgy = static_cast<const scalar_t*>(gy.data_ptr());
    auto* py = static_cast<scalar_t*>(y.data_ptr());
    auto* pgw = static_cast<scalar_t*>(gw.data_ptr());
    if (direct(g)) return conv2d_backward_weight_direct(g, pgy, px, pgw, pw, py);
    if (batched(g)) return conv2d_backward_weight_batched(g, pgy, px, pgw, pw, py);
    conv2d_backward_weight_impl(g, pgy, px, pgw, pw, py);
  });
}

}  // namespace aime::cpu
