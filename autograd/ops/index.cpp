#include "autograd/ops/index.h"

#include "autograd/ops/creation.h"
#include "autograd/ops/op_util.h"

namespace aime {

// out[.., i, ..] = x[.., index[i], ..];  dx = index_add of g at the same rows (repeated
// indices add up).
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  if (index.dtype() != kInt64 || index.dim() != 1)
    throw DTypeError("index_select: index must be a 1-D int64 tensor, got " + detail::describe(index));
  detail::require_same_device("index_select", x, index);
  if (x.dim() == 0) throw ShapeError("index_select: cannot index a zero-dimensional tensor");
  dim = normalize_dim(dim, x.dim(), "index_select");
  Shape shape = x.shape();
  shape[dim] = index.numel();
  Tensor xd = detail::contiguous_data(x), idx = detail::contiguous_data(index);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  backend_for(x.device()).index_select(xd, dim, idx, out);
  return record(out, "IndexSelectBackward", {x}, [in = x.shape(), dim, idx](const Tensor& g) {
    Tensor gx = zeros(in, g.dtype(), g.device());
    backend_for(g.device()).index_add(gx, dim, idx, detail::contiguous_data(g));
    return std::vector<Tensor>{gx};
  });
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes, DType dtype) {
  if (indices.dtype() != kInt64)
    throw DTypeError("one_hot: indices must be int64, got " + detail::describe(indices));
  if (num_classes <= 0) throw ValueError("one_hot: num_classes must be positive, got " + std::to_string(num_classes));
  Shape shape = indices.shape();
  shape.push_back(num_classes);
  Tensor out = Tensor::empty(shape, dtype, indices.device());
  backend_for(indices.device()).one_hot(detail::contiguous_data(indices), out);
  return out;
}

}  // namespace aime
