// Ops that rearrange elements. reshape (of a contiguous tensor), view, permute, transpose,
// narrow, select, expand, squeeze, unsqueeze and flatten return views sharing storage;
// cat, stack and index_select copy. split and chunk return narrow views.
#pragma once
#include <vector>

#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

// One dim of `shape` may be -1 (inferred). Copies only when x is not contiguous.
AIME_OP Tensor reshape(const Tensor& x, const Shape& shape);
// Like reshape but never copies: throws ShapeError for a non-contiguous x.
AIME_OP Tensor view(const Tensor& x, const Shape& shape);
AIME_OP Tensor permute(const Tensor& x, const Shape& dims);
AIME_OP Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
// Elements [start, start + length) along dim (negative start counts from the end).
AIME_OP Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
// Python's x[..., start:end:step, ...] along dim, with Python's clamping of start/end.
AIME_OP Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1);
// x[..., index, ...]: drops dim.
AIME_OP Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
// Broadcasts to `shape` without copying (stride 0); -1 keeps a dim's size.
AIME_OP Tensor expand(const Tensor& x, const Shape& shape);
AIME_OP Tensor squeeze(const Tensor& x, std::int64_t dim);  // no-op if size(dim) != 1
AIME_OP Tensor squeeze(const Tensor& x);                    // drops every size-1 dim
AIME_OP Tensor unsqueeze(const Tensor& x, std::int64_t dim);
AIME_OP Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
// Joins along an existing dim (cat) or a new one (stack); shapes must agree elsewhere.
AIME_OP Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim = 0);
AIME_OP Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim = 0);
// Pieces of `size` along dim (the last may be smaller) / `chunks` near-equal pieces.
AIME_OP std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t dim = 0);
AIME_OP std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);
// Differentiable copies.
AIME_OP Tensor contiguous(const Tensor& x);
AIME_OP Tensor to_dtype(const Tensor& x, DType dtype);

}  // namespace aime
