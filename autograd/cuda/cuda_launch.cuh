// Launch helpers and the strided indexer shared by the CUDA kernels. Internal to
// autograd/cuda/.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "autograd/cuda/cuda_check.h"
#include "autograd/error.h"
#include "autograd/shape.h"

namespace aime::cuda {

constexpr int kThreads = 256;

// A 1-D grid for n elements, threads striding by the grid when n is larger than it.
inline unsigned int blocks_for(std::int64_t n) {
  const std::int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(std::min<std::int64_t>(std::max<std::int64_t>(b, 1), 65535LL * 8));
}

#define AIME_GRID_STRIDE_LOOP(i, n)                                                                   \
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)

constexpr int kMaxDims = 16;

// Maps a linear element index of a shape to the element offsets of N strided operands.
// Dims are coalesced on the host first (neighbours that are contiguous for every operand
// merge, size-1 dims drop), so a contiguous tensor is one dim and the loop below is short.
template <int N>
struct StridedIndexer {
  int ndim;
  std::int64_t sizes[kMaxDims];
  std::int64_t strides[N][kMaxDims];

  __device__ void offsets(std::int64_t linear, std::int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const std::int64_t i = linear % sizes[d];
      linear /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
  }
};

template <int N>
StridedIndexer<N> make_indexer(const Shape& shape, const std::array<const Shape*, N>& strides, const char* op) {
  if (shape.size() > static_cast<std::size_t>(kMaxDims))
    throw ShapeError(std::string("cuda ") + op + ": at most 16 dims are supported, got shape " + shape_str(shape));
  StridedIndexer<N> ix{};
  // Walk from the innermost dim outwards, merging a dim into the previous (inner) one when
  // every operand steps over it contiguously.
  std::int64_t sizes[kMaxDims];
  std::int64_t st[N][kMaxDims];
  int nd = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    bool merge = nd > 0;
    for (int k = 0; k < N && merge; ++k) merge = (*strides[k])[d] == st[k][nd - 1] * sizes[nd - 1];
    if (merge) {
      sizes[nd - 1] *= shape[d];
    } else {
      sizes[nd] = shape[d];
      for (int k = 0; k < N; ++k) st[k][nd] = (*strides[k])[d];
      ++nd;
    }
  }
  // Stored outermost first.
  ix.ndim = nd;
  for (int d = 0; d < nd; ++d) {
    ix.sizes[d] = sizes[nd - 1 - d];
    for (int k = 0; k < N; ++k) ix.strides[k][d] = st[k][nd - 1 - d];
  }
  return ix;
}

}  // namespace aime::cuda
