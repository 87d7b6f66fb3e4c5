// Reductions over any set of dims (all dims by default), with keepdim, and the
// normalisations built on them. Only sum and max have kernels; the rest are composites
// whose gradients come for free.
#pragma once
#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

AIME_OP Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
AIME_OP Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Largest value over dims; the gradient is shared evenly among tied maxima (torch.amax).
AIME_OP Tensor max(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Index (int64) of the first maximum along `dim`; not differentiable.
AIME_OP Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
// log(sum(exp(x))) over dims, computed stably by shifting by the max.
AIME_OP Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
// sum((x - mean)^2) / (n - correction); correction 1 is Bessel's (torch.var's default).
AIME_OP Tensor var(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1, bool keepdim = false);
AIME_OP Tensor softmax(const Tensor& x, std::int64_t dim);
AIME_OP Tensor log_softmax(const Tensor& x, std::int64_t dim);
// Sums a broadcast result back down to `shape` (the gradient of expand): dims that were
// added in front are summed away, dims of size 1 in `shape` are summed with keepdim.
AIME_OP Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace aime
