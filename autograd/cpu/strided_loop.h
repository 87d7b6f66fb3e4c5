// The loop behind every CPU elementwise kernel: walks N strided operands of one shape row
// by row (the last dim innermost), in parallel over rows when the tensor is large.
// Internal to autograd/cpu/.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "autograd/error.h"
#include "autograd/parallel.h"
#include "autograd/shape.h"

namespace aime::cpu {

// Calls row(offsets, n, inner_strides) for each row of `shape`, where offsets[k] is the
// element offset of the row's first element in operand k and inner_strides[k] its stride
// along the last dim.
template <std::size_t N, class RowFn>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides, RowFn&& row) {
  const std::int64_t total = numel_of(shape);
  if (total == 0) return;
  const std::size_t nd = shape.size();
  if (nd > 16) throw ShapeError("cpu kernel: at most 16 dims are supported, got shape " + shape_str(shape));
  std::array<std::int64_t, N> inner_strides{};
  if (nd == 0) {
    std::array<std::int64_t, N> zero{};
    row(zero, std::int64_t{1}, inner_strides);
    return;
  }
  const std::int64_t inner = shape[nd - 1];
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = (*strides[k])[nd - 1];
  const std::int64_t rows = total / inner;
  parallel_for(0, rows, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 // Multi-index of row `lo` over the outer dims, and the operands' offsets.
                 std::array<std::int64_t, 16> idx{};
                 std::array<std::int64_t, N> off{};
                 std::int64_t r = lo;
                 for (std::size_t d = nd - 1; d-- > 0;) {
                   idx[d] = r % shape[d];
                   r /= shape[d];
                   for (std::size_t k = 0; k < N; ++k) off[k] += idx[d] * (*strides[k])[d];
                 }
                 for (std::int64_t i = lo; i < hi; ++i) {
                   row(off, inner, inner_strides);
                   for (std::size_t d = nd - 1; d-- > 0;) {  // increment with carry
                     for (std::size_t k = 0; k < N; ++k) off[k] += (*strides[k])[d];
                     if (++idx[d] < shape[d]) break;
                     for (std::size_t k = 0; k < N; ++k) off[k] -= shape[d] * (*strides[k])[d];
                     idx[d] = 0;
                   }
                 }
               });
}

}  // namespace aime::cpu
