// Gathering by integer index: index_select (differentiable in x, through index_add) and
// one_hot. Indices are int64 and checked against the range they index.
#pragma once
#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

// out = x with dim replaced by index's entries: out[.., i, ..] = x[.., index[i], ..].
AIME_OP Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
// [..., num_classes] with a 1 at each index (indices int64 in [0, num_classes)).
AIME_OP Tensor one_hot(const Tensor& indices, std::int64_t num_classes, DType dtype = kFloat32);

}  // namespace aime
